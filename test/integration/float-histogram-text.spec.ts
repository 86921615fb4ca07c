import { useGateway } from '../support/gateway';
import { parseProtobufDelimited } from '../../src/core/exposition/protobuf-delimited';

/**
 * Non-integer histogram counts in text 0.0.4 bodies (issue 12 §4) as pushgateway 1.11.2+ stores
 * them (prometheus/common 0.67 expfmt/text_parse.go: a float histogram, every count float) through
 * every read: text and protobuf scrapes, upstream's JSON API and the query API. The comparison with
 * Debian's 1.5.1, which truncates, is in upstream-differential.spec.ts.
 */
const PB_ACCEPT = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';

describe('float histogram counts from text pushes', () => {
  const gw = useGateway();

  beforeAll(async () => {
    const res = await fetch(`${gw.url}/metrics/job/fc`, {
      method: 'PUT',
      body: '# TYPE fc histogram\nfc_bucket{le="1"} 1.5\nfc_bucket{le="+Inf"} 2\nfc_sum 3\nfc_count 2.5\n',
    });
    expect(res.status).toBe(200);
  });

  it('text scrape writes the float counts', async () => {
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    expect(text).toContain(
      'fc_bucket{instance="",job="fc",le="1"} 1.5\nfc_bucket{instance="",job="fc",le="+Inf"} 2\nfc_sum{instance="",job="fc"} 3\nfc_count{instance="",job="fc"} 2.5\n',
    );
  });

  it('protobuf scrape carries cumulative_count_float and sample_count_float', async () => {
    const res = await fetch(`${gw.url}/metrics`, { headers: { Accept: PB_ACCEPT } });
    const h = parseProtobufDelimited(Buffer.from(await res.arrayBuffer())).find((f) => f.name === 'fc')!.metric[0].histogram!;
    expect([h.sampleCountFloat, h.bucket.map((b) => [b.upperBound, b.cumulativeCountFloat, b.cumulativeCount])]).toEqual([
      2.5,
      [
        [1, 1.5, 0],
        [Infinity, 2, 0],
      ],
    ]);
  });

  it('/api/v1/metrics shows the float counts in the classic shape', async () => {
    const json = (await (await fetch(`${gw.url}/api/v1/metrics`)).json()) as { data: Array<Record<string, { metrics: unknown[] }>> };
    expect(json.data.find((g) => g.fc !== undefined)!.fc.metrics).toEqual([
      { labels: { instance: '', job: 'fc' }, buckets: { '1': '1.5', '+Inf': '2' }, count: '2.5', sum: '3' },
    ]);
  });

  it('the query API reads the float bucket', async () => {
    const json = (await (await fetch(`${gw.url}/api/v1/query?query=fc_bucket`)).json()) as {
      data: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    expect(json.data.result.map((r) => `${r.metric.le} ${r.value[1]}`)).toEqual(['+Inf 2', '1 1.5']);
  });
});
