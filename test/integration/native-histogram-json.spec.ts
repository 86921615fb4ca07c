import { useGateway } from '../support/gateway';
import { encodeProtobufDelimited } from '../../src/core/exposition/protobuf-delimited';
import { MetricType } from '../../src/core/model/metric-family';

/**
 * A native histogram pushed as protobuf reads back from GET /api/v1/metrics in upstream 1.10's
 * JSON shape (pushgateway api/v1/api.go; research note §4). Debian's 1.5.1 predates that shape.
 */
describe('native histograms in /api/v1/metrics', () => {
  const gw = useGateway();

  it('shows the native buckets of a pushed integer native histogram', async () => {
    const body = encodeProtobufDelimited([
      {
        name: 'nh',
        help: 'native',
        type: MetricType.HISTOGRAM,
        metric: [
          {
            label: [],
            histogram: {
              sampleCount: 6,
              sampleSum: 1.5,
              bucket: [],
              schema: 0,
              zeroThreshold: 1e-128,
              zeroCount: 1,
              positiveSpan: [{ offset: -2, length: 3 }],
              positiveDelta: [2, 1, -2],
            },
          },
        ],
      },
    ]);
    const put = await fetch(`${gw.url}/metrics/job/nh`, {
      method: 'PUT',
      body,
      headers: { 'Content-Type': 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited' },
    });
    expect(put.status).toBe(200);
    const json = (await (await fetch(`${gw.url}/api/v1/metrics`)).json()) as { data: Array<Record<string, { type: string; metrics: unknown[] }>> };
    const family = json.data.find((g) => g.nh !== undefined)!.nh;
    expect(family.type).toBe('HISTOGRAM');
    expect(family.metrics).toEqual([
      {
        labels: { instance: '', job: 'nh' },
        count: '6',
        sum: '1.5',
        buckets: [
          [3, '-1e-128', '1e-128', '1'],
          [0, '0.125', '0.25', '2'],
          [0, '0.25', '0.5', '3'],
          [0, '0.5', '1', '1'],
        ],
      },
    ]);
  });
});
