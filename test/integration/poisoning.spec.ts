import { encodeProtobufDelimited } from '../../src/core/exposition/protobuf-delimited';
import { buckets, counter, family, gauge, histogram, summary } from '../../src/core/exposition/testdata/factories';
import { MetricFamily, MetricType } from '../../src/core/model/metric-family';
import { useGateway } from '../support/gateway';
import { parseValidExposition, samplesOf } from '../support/exposition-compare';
import { send, sendAll, Step } from '../support/upstream';

/**
 * Upstream Pushgateway can be "poisoned" (research §4): a rejected push leaves a group behind that
 * makes every later push 400 and every scrape 500. DESIGN §2 forbids copying that. Each case below
 * runs the upstream poisoning sequence (or another way to get an inconsistent store) against ours:
 * the offending request must be a 4xx with a text/plain message, and afterwards other groups still
 * accept pushes and `/metrics` still serves a valid exposition.
 */

const PB = { 'Content-Type': 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited' };
const pb = (...families: MetricFamily[]): Buffer => encodeProtobufDelimited(families);
const put = (path: string, body: string | Buffer, headers?: Record<string, string>): Step => ({ method: 'PUT', path, body, headers });
const post = (path: string, body: string | Buffer, headers?: Record<string, string>): Step => ({ method: 'POST', path, body, headers });

/** A protobuf body in which the bytes of `marker` are replaced by `\xff\xef` (not UTF-8). */
function pbWithNonUtf8(mf: MetricFamily, marker: string): Buffer {
  const buf = pb(mf);
  const at = buf.indexOf(Buffer.from(marker));
  buf[at] = 0xff;
  buf[at + 1] = 0xef;
  return buf;
}

interface PoisonCase {
  name: string;
  /** Valid pushes that set the stage; each must succeed. */
  setup: Step[];
  /** The requests upstream would turn into a poisoned store; each must be rejected. */
  attack: Step[];
  /** Starts of sample lines the attack tried to store: none may appear in the scrape. */
  forbidden: string[];
}

const CASES: PoisonCase[] = [
  // Non-UTF-8 grouping values: upstream stores a failure group with the raw bytes in its labels.
  { name: 'non-UTF-8 grouping value via @base64', setup: [], attack: [put('/metrics/job/j2/p@base64/_-8', 'some_metric 3.14\n')], forbidden: ['some_metric'] },
  {
    name: 'non-UTF-8 grouping value via %FF (PUT and POST)',
    setup: [],
    attack: [put('/metrics/job/j3/p/%FF', 'some_metric 3.14\n'), post('/metrics/job/j3/p/%FF', 'some_metric 3.14\n')],
    forbidden: ['some_metric'],
  },
  { name: 'non-UTF-8 job via job@base64', setup: [], attack: [put('/metrics/job@base64/_w', 'some_metric 3.14\n')], forbidden: ['some_metric'] },
  { name: 'non-UTF-8 label name via %FF', setup: [], attack: [put('/metrics/job/j4/%FF/x', 'some_metric 3.14\n')], forbidden: ['some_metric'] },
  // Colliding grouping keys: {job="ei"} and {job="ei",instance=""} would expose the same push_* series.
  {
    name: 'colliding grouping keys: /job/ei then /job/ei/instance@base64/=',
    setup: [put('/metrics/job/ei', 'a 1\n')],
    attack: [put('/metrics/job/ei/instance@base64/=', 'b 1\n'), post('/metrics/job/ei/instance@base64/=', 'b 1\n'), put('/metrics/job/ei/instance/', 'b 1\n')],
    forbidden: ['b{'],
  },
  {
    name: 'colliding grouping keys, reverse order: /job/ei2/instance@base64/= then /job/ei2',
    setup: [put('/metrics/job/ei2/instance@base64/=', 'a 1\n')],
    attack: [put('/metrics/job/ei2', 'b 1\n'), post('/metrics/job/ei2', 'b 1\n')],
    forbidden: ['b{'],
  },
  // Type conflicts across groups.
  {
    name: 'type conflicts with another group',
    setup: [put('/metrics/job/g1', '# TYPE tm counter\ntm 1\n')],
    attack: [
      put('/metrics/job/g2', '# TYPE tm gauge\ntm 1\n'),
      post('/metrics/job/g2', 'tm 1\n'),
      put('/metrics/job/g3', '# TYPE tm summary\ntm_sum 1\ntm_count 1\n'),
      put('/metrics/job/g4', pb(family('tm', MetricType.HISTOGRAM, [histogram({ sampleCount: 1, sampleSum: 1, bucket: buckets([1, 1]) })], 'h')), PB),
    ],
    forbidden: ['tm{instance="",job="g2"}', 'tm{instance="",job="g4"}', 'tm_sum', 'tm_count', 'tm_bucket'],
  },
  // Histogram / summary suffix clashes, across groups and inside one push.
  {
    name: 'histogram suffix clash: th_count exists, histogram th pushed',
    setup: [put('/metrics/job/h1', 'th_count 1\n')],
    attack: [put('/metrics/job/h2', '# TYPE th histogram\nth_bucket{le="+Inf"} 1\nth_sum 1\nth_count 1\n')],
    forbidden: ['th_bucket', 'th_sum', 'th_count{instance="",job="h2"}'],
  },
  {
    name: 'histogram suffix clash: histogram th2 exists, th2_bucket/_sum/_count pushed',
    setup: [put('/metrics/job/h1', '# TYPE th2 histogram\nth2_bucket{le="+Inf"} 1\nth2_sum 1\nth2_count 1\n')],
    attack: [put('/metrics/job/h2', 'th2_bucket 1\n'), put('/metrics/job/h3', '# TYPE th2_sum gauge\nth2_sum 1\n'), post('/metrics/job/h4', 'th2_count 1\n')],
    forbidden: ['th2_bucket{instance="",job="h2"}', 'th2_sum{instance="",job="h3"}', 'th2_count{instance="",job="h4"}'],
  },
  {
    name: 'summary suffix clash: summary ts exists, ts_count pushed',
    setup: [put('/metrics/job/s1', '# TYPE ts summary\nts_sum 1\nts_count 1\n')],
    attack: [put('/metrics/job/s2', '# TYPE ts_count counter\nts_count 1\n')],
    forbidden: ['ts_count{instance="",job="s2"}'],
  },
  {
    name: 'suffix clash inside one protobuf push',
    setup: [],
    attack: [
      put(
        '/metrics/job/p1',
        pb(
          family('pc', MetricType.HISTOGRAM, [histogram({ sampleCount: 1, sampleSum: 1, bucket: buckets([1, 1]) })], 'h'),
          family('pc_sum', MetricType.GAUGE, [gauge(1)], 'h'),
        ),
        PB,
      ),
    ],
    forbidden: ['pc_bucket', 'pc_sum', 'pc_count'],
  },
  // Names of the gateway's own metrics (prom-client: process_*, nodejs_*, pushgateway_*).
  {
    name: 'own metric process_cpu_user_seconds_total pushed as a gauge',
    setup: [],
    attack: [put('/metrics/job/own1', '# TYPE process_cpu_user_seconds_total gauge\nprocess_cpu_user_seconds_total 1\n')],
    forbidden: ['process_cpu_user_seconds_total{instance="",job="own1"}'],
  },
  {
    name: 'own metric nodejs_eventloop_lag_seconds pushed as a counter, via protobuf',
    setup: [],
    attack: [put('/metrics/job/own2', pb(family('nodejs_eventloop_lag_seconds', MetricType.COUNTER, [counter(1)], 'h')), PB)],
    forbidden: ['nodejs_eventloop_lag_seconds{instance="",job="own2"}'],
  },
  {
    name: 'own histogram pushgateway_http_push_size_bytes pushed as a gauge',
    setup: [],
    attack: [put('/metrics/job/own3', '# TYPE pushgateway_http_push_size_bytes gauge\npushgateway_http_push_size_bytes 1\n')],
    forbidden: ['pushgateway_http_push_size_bytes{instance="",job="own3"}'],
  },
  {
    name: 'own histogram suffix: pushgateway_http_push_duration_seconds_count pushed untyped',
    setup: [],
    attack: [put('/metrics/job/own4', 'pushgateway_http_push_duration_seconds_count 1\n')],
    forbidden: ['pushgateway_http_push_duration_seconds_count{instance="",job="own4"}'],
  },
  // Invalid series.
  {
    name: 'duplicate series after grouping labels overwrite body labels',
    setup: [],
    attack: [put('/metrics/job/d', 'dupj{job="x"} 1\ndupj{job="y"} 2\n')],
    forbidden: ['dupj'],
  },
  {
    name: 'timestamps, text and protobuf',
    setup: [],
    attack: [
      put('/metrics/job/t', 'tsx 1 1700000000000\n'),
      put('/metrics/job/t', pb(family('tsy', MetricType.GAUGE, [gauge(1, {}, 1700000000000)], 'h')), PB),
    ],
    forbidden: ['tsx', 'tsy'],
  },
  {
    name: 'protobuf names: invalid metric name, empty name, dotted name',
    setup: [],
    attack: [
      put('/metrics/job/pn', pb(family('bad-name', MetricType.GAUGE, [gauge(1)], 'h')), PB),
      put('/metrics/job/pn', pb(family('', MetricType.GAUGE, [gauge(1)], 'h')), PB),
      put('/metrics/job/pn', pb(family('my.metric', MetricType.GAUGE, [gauge(1)], 'h')), PB),
    ],
    forbidden: ['bad-name', 'my.metric', '{'],
  },
  {
    name: 'protobuf labels: invalid name, reserved name, repeated name, le on a histogram, quantile on a summary',
    setup: [],
    attack: [
      put('/metrics/job/pl', pb(family('okname', MetricType.GAUGE, [gauge(1, { 'bad-label': 'v' })], 'h')), PB),
      put('/metrics/job/pl', pb(family('okname', MetricType.GAUGE, [gauge(1, { __res: 'v' })], 'h')), PB),
      put(
        '/metrics/job/pl',
        pb(
          family(
            'okname',
            MetricType.GAUGE,
            [
              {
                label: [
                  { name: 'a', value: 'v' },
                  { name: 'a', value: 'w' },
                ],
                gauge: { value: 1 },
              },
            ],
            'h',
          ),
        ),
        PB,
      ),
      put(
        '/metrics/job/pl',
        pb(family('okh', MetricType.HISTOGRAM, [histogram({ sampleCount: 1, sampleSum: 1, bucket: buckets([1, 1]) }, { le: '5' })], 'h')),
        PB,
      ),
      put('/metrics/job/pl', pb(family('oks', MetricType.SUMMARY, [summary({ sampleCount: 1, sampleSum: 1 }, { quantile: '0.5' })], 'h')), PB),
    ],
    forbidden: ['okname', 'okh', 'oks'],
  },
  {
    name: 'protobuf values: field not matching the type, unknown type',
    setup: [],
    attack: [
      put('/metrics/job/pv', pb(family('mism', MetricType.GAUGE, [counter(1)], 'h')), PB),
      put('/metrics/job/pv', pb(family('typ9', 9 as MetricType, [gauge(1)], 'h')), PB),
    ],
    forbidden: ['mism', 'typ9'],
  },
  {
    name: 'protobuf strings that are not UTF-8: label value, metric name',
    setup: [],
    attack: [
      put('/metrics/job/pu', pbWithNonUtf8(family('utfbad', MetricType.GAUGE, [gauge(1, { p: 'ZQ' })], 'h'), 'ZQ'), PB),
      put('/metrics/job/pu', pbWithNonUtf8(family('utfZQname', MetricType.GAUGE, [gauge(1)], 'h'), 'ZQ'), PB),
    ],
    forbidden: ['utf'],
  },
  { name: 'text body that is not UTF-8', setup: [], attack: [put('/metrics/job/tu', Buffer.from('x{p="\xff"} 1\n', 'latin1'))], forbidden: ['x{'] },
];

describe('no poisoning: a rejected push never breaks later pushes or scrapes', () => {
  const gw = useGateway({ ADMIN_API_ENABLED: 'true' });
  beforeEach(async () => {
    expect((await send(gw.url, { method: 'PUT', path: '/api/v1/admin/wipe' })).status).toBe(202);
  });

  const scrape = async (): Promise<string> => {
    const res = await send(gw.url, { method: 'GET', path: '/metrics' });
    expect(res.status).toBe(200);
    return res.text;
  };

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    expect((await sendAll(gw.url, c.setup)).map((r) => r.status)).toEqual(c.setup.map(() => 200));
    const rejected = await sendAll(gw.url, c.attack);
    expect(rejected.map((r, i) => `${c.attack[i].method} ${c.attack[i].path} → ${r.status}`)).toEqual(c.attack.map((s) => `${s.method} ${s.path} → 400`));

    // Later pushes to other groups, and to the setup groups, still work.
    const later = await sendAll(gw.url, [
      put('/metrics/job/after', '# TYPE after_metric gauge\nafter_metric{k="v"} 1\n'),
      post('/metrics/job/after2/instance/i', 'after_other 2\n'),
      ...c.setup,
      { method: 'DELETE', path: '/metrics/job/after2/instance/i' },
    ]);
    expect(later.map((r) => r.status)).toEqual([200, 200, ...c.setup.map(() => 200), 202]);

    const body = await scrape();
    const families = parseValidExposition(body);
    expect(samplesOf(body, 'after_metric')).toEqual(['after_metric{instance="",job="after",k="v"} 1']);
    expect(samplesOf(body, 'after_other')).toEqual([]);
    expect(families.some((mf) => mf.name === 'process_cpu_user_seconds_total')).toBe(true);
    for (const start of c.forbidden) {
      expect(samplesOf(body, start)).toEqual([]);
    }
    expect((await send(gw.url, { method: 'GET', path: '/api/v1/metrics' })).status).toBe(200);

    // DESIGN §2: ingest errors are 400 text/plain with a message.
    expect(rejected.map((r, i) => `${c.attack[i].method} ${c.attack[i].path} → ${r.contentType} ${r.text.trim() === '' ? 'without' : 'with'} message`)).toEqual(
      c.attack.map((s) => `${s.method} ${s.path} → text/plain; charset=utf-8 with message`),
    );
  });

  describe('a rejected push to an existing valid group', () => {
    const victim = '/metrics/job/victim/instance/v';
    const victimBody =
      '# HELP vc A counter.\n# TYPE vc counter\nvc{k="a"} 1\nvc{k="b"} 2\n# TYPE vh histogram\nvh_bucket{le="1"} 1\nvh_bucket{le="+Inf"} 2\nvh_sum 3\nvh_count 2\nvu 7\n';
    const victimSeries = (body: string): string[] => samplesOf(body, 'vc', 'vh', 'vu', 'vx').filter((l) => l.includes('job="victim"'));
    const pushTimes = (body: string): { ok: number; failed: number } => {
      const value = (name: string): number => Number(samplesOf(body, `${name}{instance="v",job="victim"}`)[0]?.split(' ')[1]);
      return { ok: value('push_time_seconds'), failed: value('push_failure_time_seconds') };
    };

    // Each rejection is aimed at the victim's exact grouping key.
    const rejections: Array<[string, Step]> = [
      ['PUT with a timestamp', put(victim, 'vx 1 1700000000000\n')],
      ['POST with a timestamp', post(victim, 'vc{k="a"} 5 1700000000000\n')],
      ['PUT with duplicate series', put(victim, 'vx{instance="a"} 1\nvx{instance="b"} 1\n')],
      ['POST with a type conflicting with another group', post(victim, '# TYPE other_gauge counter\nother_gauge 1\n')],
      ['PUT with a suffix clash against another group', put(victim, 'other_hist_count 1\n')],
      ['POST clashing with the gateway’s own metrics', post(victim, '# TYPE process_cpu_user_seconds_total gauge\nprocess_cpu_user_seconds_total 1\n')],
      ['PUT via protobuf with an invalid metric name', put(victim, pb(family('bad-name', MetricType.GAUGE, [gauge(1)], 'h')), PB)],
      ['POST via protobuf with an invalid label name', post(victim, pb(family('vc', MetricType.COUNTER, [counter(9, { 'bad-label': 'x' })], 'h')), PB)],
    ];

    it.each(rejections)('%s: 400, push_failure_time_seconds set, pushed metrics unchanged', async (_name, step) => {
      const setup = await sendAll(gw.url, [
        put(victim, victimBody),
        put('/metrics/job/other', '# TYPE other_gauge gauge\nother_gauge 1\n# TYPE other_hist summary\nother_hist_sum 1\nother_hist_count 1\n'),
      ]);
      expect(setup.map((r) => r.status)).toEqual([200, 200]);
      const before = await scrape();
      expect(pushTimes(before).failed).toBe(0);

      const res = await send(gw.url, step);
      expect(`${res.status} ${res.contentType}`).toBe('400 text/plain; charset=utf-8');

      const after = await scrape();
      parseValidExposition(after);
      expect(victimSeries(after)).toEqual(victimSeries(before));
      expect(victimSeries(after)).toHaveLength(7);
      expect(pushTimes(after).ok).toBe(pushTimes(before).ok);
      expect(pushTimes(after).failed).toBeGreaterThan(0);
      const json = (await (await fetch(`${gw.url}/api/v1/metrics`)).json()) as {
        data: Array<{ labels: Record<string, string>; last_push_successful: boolean }>;
      };
      expect(json.data.find((g) => g.labels.job === 'victim')?.last_push_successful).toBe(false);

      // A later success keeps the failure time and makes the group successful again.
      expect((await send(gw.url, post(victim, 'vu 8\n'))).status).toBe(200);
      const recovered = await scrape();
      expect(pushTimes(recovered).failed).toBe(pushTimes(after).failed);
      expect(pushTimes(recovered).ok).toBeGreaterThanOrEqual(pushTimes(after).failed);
      expect(samplesOf(recovered, 'vu{')).toEqual(['vu{instance="v",job="victim"} 8']);
    });

    it('a parse error is a 400 that leaves the group untouched, push_failure_time_seconds included (as upstream)', async () => {
      expect((await send(gw.url, put(victim, victimBody))).status).toBe(200);
      const before = await scrape();
      const res = await send(gw.url, put(victim, 'vx{ 1\n'));
      expect(`${res.status} ${res.contentType}`).toBe('400 text/plain; charset=utf-8');
      const after = await scrape();
      expect(victimSeries(after)).toEqual(victimSeries(before));
      expect(pushTimes(after)).toEqual(pushTimes(before));
    });
  });
});
