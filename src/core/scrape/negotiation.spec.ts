import { acceptsGzip, isOpenMetricsPush, isProtobufPush, negotiateScrape } from 'src/core/scrape/negotiation';

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
    ['OpenMetrics with version', 'application/openmetrics-text; version=1.0.0; charset=utf-8', true],
    ['OpenMetrics bare, any case', 'Application/OpenMetrics-Text', true],
    ['text', 'text/plain; version=0.0.4', false],
    ['missing', undefined, false],
  ])('push body %s → openmetrics=%s', (_name, type, expected) => {
    expect(isOpenMetricsPush(type)).toBe(expected);
  });

  // Upstream 1.11.3: prometheus/common expfmt/encode.go Negotiate (research note §2 table); the
  // Prometheus headers are scrape/scrape.go acceptHeader with config/config.go's protocol lists.
  const P3_DEFAULT =
    'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2';
  const P3_PROTO_FIRST =
    'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1';
  const P30_PROTO_FIRST =
    'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;escaping=allow-utf-8;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;escaping=allow-utf-8;q=0.2,*/*;escaping=allow-utf-8;q=0.1';
  const P30_DEFAULT =
    'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;escaping=allow-utf-8;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;escaping=allow-utf-8;q=0.3,*/*;escaping=allow-utf-8;q=0.2';
  it.each([
    ['none', undefined, 'text', 'underscores'],
    ['*/* (curl)', '*/*', 'text', 'underscores'],
    [
      'Prometheus 2.42 default',
      'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
      'text',
      'underscores',
    ],
    [
      'Prometheus 2.x protobuf first',
      'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3,*/*;q=0.1',
      'protobuf',
      'underscores',
    ],
    ['Prometheus 3.4+ default: the OpenMetrics clause sets allow-utf-8', P3_DEFAULT, 'text', 'allow-utf-8'],
    ['Prometheus 3.4+ protobuf first: UTF-8 names escaped', P3_PROTO_FIRST, 'protobuf', 'underscores'],
    ['Prometheus 3.0-3.3 protobuf first', P30_PROTO_FIRST, 'protobuf', 'allow-utf-8'],
    ['Prometheus 3.0-3.3 default', P30_DEFAULT, 'text', 'allow-utf-8'],
    ['text/plain 1.0.0 never matches, its escaping still counts', 'text/plain;version=1.0.0;escaping=values', 'text', 'values'],
    ['OpenMetrics alone', 'application/openmetrics-text;version=1.0.0', 'text', 'underscores'],
    ['an unknown escaping is ignored', 'text/plain;escaping=bogus', 'text', 'underscores'],
    ['dots on text', 'text/plain;version=0.0.4;escaping=dots', 'text', 'dots'],
    ["a later clause does not change the chosen one's escaping", 'text/plain;version=0.0.4;q=0.9,text/plain;escaping=values;q=0.5', 'text', 'underscores'],
    [
      'text first by q',
      'text/plain;version=0.0.4;q=0.9,application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.5',
      'text',
      'underscores',
    ],
    [
      'protobuf text encoding is skipped',
      'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text;escaping=dots',
      'text',
      'dots',
    ],
  ])('scrape Accept %s', (_name, accept, format, escaping) => {
    const got = negotiateScrape(accept);
    expect([got.format, got.escaping]).toEqual([format, escaping]);
    expect(got.contentType).toBe(
      format === 'text'
        ? `text/plain; version=0.0.4; charset=utf-8; escaping=${escaping}`
        : `application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited; escaping=${escaping}`,
    );
  });

  // SCRAPE_OPENMETRICS on: prometheus/common expfmt/encode.go NegotiateIncludingOpenMetrics.
  it.each([
    ['Prometheus 3.4+ default', P3_DEFAULT, 'openmetrics', 'application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8'],
    [
      'Prometheus 2.42 default',
      'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
      'openmetrics',
      'application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores',
    ],
    [
      'OpenMetrics without a version is 0.0.1',
      'application/openmetrics-text',
      'openmetrics',
      'application/openmetrics-text; version=0.0.1; charset=utf-8; escaping=underscores',
    ],
    [
      'protobuf first still wins',
      P3_PROTO_FIRST,
      'protobuf',
      'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited; escaping=underscores',
    ],
    ['none', undefined, 'text', 'text/plain; version=0.0.4; charset=utf-8; escaping=underscores'],
  ])('with SCRAPE_OPENMETRICS, Accept %s', (_name, accept, format, contentType) => {
    const got = negotiateScrape(accept, { openMetrics: true });
    expect([got.format, got.contentType]).toEqual([format, contentType]);
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
