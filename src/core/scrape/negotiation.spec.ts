import { acceptsGzip, isProtobufPush, wantsProtobufScrape } from 'src/core/scrape/negotiation';

describe('content negotiation', () => {
  it.each([
    ['delimited protobuf', 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited', true],
    ['parameters in any order, no spaces', 'application/vnd.google.protobuf;encoding=delimited;proto=io.prometheus.client.MetricFamily', true],
    ['protobuf without encoding=delimited', 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily', false],
    ['text', 'text/plain; version=0.0.4', false],
    ['curl form default', 'application/x-www-form-urlencoded', false],
    ['missing', undefined, false],
  ])('push body %s → protobuf=%s', (_name, type, expected) => {
    expect(isProtobufPush(type)).toBe(expected);
  });

  it.each([
    ['Prometheus 2.x default Accept', 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3,*/*;q=0.1', true],
    ['text first', 'text/plain;version=0.0.4;q=0.9,application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.5', false],
    ['curl default', '*/*', false],
    ['none', undefined, false],
  ])('scrape Accept %s → protobuf=%s', (_name, accept, expected) => {
    expect(wantsProtobufScrape(accept)).toBe(expected);
  });

  it.each([
    ['gzip', 'gzip', true],
    ['gzip, deflate, br', 'gzip, deflate, br', true],
    ['gzip refused', 'gzip;q=0', false],
    ['identity', 'identity', false],
    ['none', undefined, false],
    ['x-gzip alias', 'x-gzip', true],
    ['any coding', 'identity;q=0.5, *', true],
    ['any coding refused', '*;q=0', false],
    ['gzip refused beside any coding', '*, gzip;q=0', false],
    ['case and spaces', ' GZip ; q=0.5', true],
  ])('Accept-Encoding %s → gzip=%s', (_name, header, expected) => {
    expect(acceptsGzip(header)).toBe(expected);
  });
});
