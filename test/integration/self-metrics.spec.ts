import { parseText } from '../../src/core/exposition/text-parser';
import { MetricFamily, MetricType } from '../../src/core/model/metric-family';
import { createTestDatabase, InProcessGateway, startInProcess, TestDatabase } from '../support/gateway';
import { itWhen } from '../support/test-env';
import { findUpstreamBinary, send, sendAll, startUpstream, Step, UpstreamGateway } from '../support/upstream';

/**
 * Self-metrics like upstream (issue 12 point 5): pushgateway `handler/metrics.go` and `main.go`'s
 * instrumentation (research note §5), compared with Debian's 1.5.1, which has the same
 * `pushgateway_*` families (1.11 adds none): names, types, label names, summary quantiles, and
 * which requests each counts (every upstream handler label but `static`: the status page here needs
 * no static files). Research note §5 lists the rest of what 1.11.3 exposes about itself: the
 * `process_*` families (1.5.1's seven plus the two network counters) are checked here too; the
 * `go_*` runtime families have no Node.js counterpart and are replaced by prom-client's `nodejs_*`
 * (docs/compatibility.md). The per-group push_time_seconds/push_failure_time_seconds are compared
 * in upstream-differential.spec.ts.
 */
const STEPS: Step[] = [
  { method: 'PUT', path: '/metrics/job/sm', body: 'a 1\n' },
  { method: 'PUT', path: '/metrics/job/sm', body: 'a 1 1700000000000\n' },
  { method: 'POST', path: '/metrics/job/sm', body: 'b 2\n' },
  { method: 'PUT', path: '/metrics/job/sm/bad.label/x', body: 'a 1\n' },
  { method: 'DELETE', path: '/metrics/job/sm' },
  { method: 'GET', path: '/api/v1/status' },
  { method: 'GET', path: '/-/healthy' },
  { method: 'GET', path: '/-/ready' },
  { method: 'GET', path: '/' },
  { method: 'GET', path: '/api/v1/metrics' },
  { method: 'OPTIONS', path: '/api/v1/status' },
  { method: 'PUT', path: '/api/v1/admin/wipe' },
  { method: 'GET', path: '/metrics' },
];

/** Every pushgateway_* family of a scrape: name, type, label names of each series (sorted, without values). */
function shape(families: MetricFamily[]): Record<string, { type: MetricType; series: string[] }> {
  const out: Record<string, { type: MetricType; series: string[] }> = {};
  for (const mf of families.filter((f) => f.name.startsWith('pushgateway_') && f.name !== 'pushgateway_build_info')) {
    out[mf.name] = {
      type: mf.type,
      series: [
        ...new Set(
          mf.metric.map((m) =>
            m.label
              .map((l) => `${l.name}=${l.name === 'method' || l.name === 'handler' || l.name === 'code' ? l.value : '*'}`)
              .sort()
              .join(','),
          ),
        ),
      ].sort(),
    };
  }
  return out;
}

function summaryOf(families: MetricFamily[], name: string, method: string): { count: number; quantiles: number[] } {
  const m = families.find((f) => f.name === name)!.metric.find((x) => x.label.some((l) => l.name === 'method' && l.value === method))!;
  return { count: m.summary!.sampleCount, quantiles: m.summary!.quantile.map((q) => q.quantile) };
}

const binary = findUpstreamBinary();
const itUpstream = itWhen(binary !== undefined, 'prometheus-pushgateway is not installed (Debian package prometheus-pushgateway)');

describe('self-metrics: ours vs upstream 1.5.1', () => {
  let db: TestDatabase | undefined;
  let ours: InProcessGateway | undefined;
  let upstream: UpstreamGateway | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
    ours = await startInProcess(db, { ADMIN_API_ENABLED: 'true' });
    if (binary !== undefined) {
      upstream = await startUpstream(binary);
    }
  });
  afterAll(async () => {
    await upstream?.stop();
    await ours?.close();
    await db?.drop();
  });

  const scrape = async (base: string): Promise<MetricFamily[]> => parseText((await send(base, { method: 'GET', path: '/metrics' })).text);

  it('push duration and size are summaries by method with quantiles 0.1/0.5/0.9 over every PUT/POST, refused ones included', async () => {
    expect((await sendAll(ours!.url, STEPS)).map((r) => r.status)).toEqual([200, 400, 200, 400, 202, 200, 200, 200, 200, 200, 200, 202, 200]);
    const families = await scrape(ours!.url);
    for (const name of ['pushgateway_http_push_duration_seconds', 'pushgateway_http_push_size_bytes']) {
      expect(families.find((f) => f.name === name)?.type).toBe(MetricType.SUMMARY);
      expect(summaryOf(families, name, 'put')).toEqual({ count: 3, quantiles: [0.1, 0.5, 0.9] });
      expect(summaryOf(families, name, 'post')).toEqual({ count: 1, quantiles: [0.1, 0.5, 0.9] });
    }
    const requests = families.find((f) => f.name === 'pushgateway_http_requests_total')!;
    const counted = requests.metric.map((m) => Object.fromEntries(m.label.map((l) => [l.name, l.value]))).map((l) => `${l.handler} ${l.method} ${l.code}`);
    expect(counted).toEqual(
      expect.arrayContaining([
        'push put 200',
        'push put 400',
        'push post 200',
        'delete delete 202',
        'api/v1/status get 200',
        'healthy get 200',
        'ready get 200',
        'status get 200',
        'api/v1/metrics get 200',
        'api/v1/options options 200',
        'wipe put 202',
      ]),
    );
    // Scrapes are not counted (upstream instruments every handler but /metrics).
    expect(counted.filter((c) => c.startsWith('metrics '))).toEqual([]);
    const build = families.find((f) => f.name === 'pushgateway_build_info')!;
    expect(build.metric[0].label.map((l) => l.name).sort()).toEqual(['branch', 'goarch', 'goos', 'goversion', 'revision', 'tags', 'version']);
  });

  it("upstream 1.11's process_* metrics are all here, unlabelled, with client_golang's types (Linux)", async () => {
    const families = await scrape(ours!.url);
    const process = Object.fromEntries(families.filter((f) => f.name.startsWith('process_')).map((f) => [f.name, f]));
    const expected: [string, MetricType][] = [
      ['process_cpu_seconds_total', MetricType.COUNTER],
      ['process_max_fds', MetricType.GAUGE],
      ['process_open_fds', MetricType.GAUGE],
      ['process_resident_memory_bytes', MetricType.GAUGE],
      ['process_start_time_seconds', MetricType.GAUGE],
      ['process_virtual_memory_bytes', MetricType.GAUGE],
      ['process_virtual_memory_max_bytes', MetricType.GAUGE],
      ['process_network_receive_bytes_total', MetricType.COUNTER],
      ['process_network_transmit_bytes_total', MetricType.COUNTER],
    ];
    for (const [name, type] of expected) {
      expect([name, process[name]?.type, process[name]?.metric.map((m) => m.label)]).toEqual([name, type, [[]]]);
    }
  });

  it('go_* runtime metrics have no Node.js equivalent: nodejs_* are exposed instead (docs/compatibility.md)', async () => {
    const names = (await scrape(ours!.url)).map((f) => f.name);
    expect(names.filter((n) => n.startsWith('go_'))).toEqual([]);
    for (const name of ['nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_gc_duration_seconds', 'nodejs_version_info']) {
      expect(names).toContain(name);
    }
  });

  itUpstream('every process_* family of upstream has the same type and label names here', async () => {
    const theirs = (await scrape(upstream!.url)).filter((f) => f.name.startsWith('process_'));
    const mine = new Map((await scrape(ours!.url)).map((f) => [f.name, f]));
    expect(theirs.length).toBeGreaterThanOrEqual(7);
    for (const f of theirs) {
      const labelNames = (mf: MetricFamily | undefined): string[][] | undefined => mf?.metric.map((m) => m.label.map((l) => l.name));
      expect([f.name, mine.get(f.name)?.type, labelNames(mine.get(f.name))]).toEqual([f.name, f.type, labelNames(f)]);
    }
  });

  itUpstream('pushgateway_* families have the same names, types, label names and counted requests as upstream', async () => {
    await sendAll(upstream!.url, STEPS);
    const theirs = shape(await scrape(upstream!.url));
    const mine = shape(await scrape(ours!.url));
    expect(Object.keys(mine).sort()).toEqual(Object.keys(theirs).sort());
    for (const name of Object.keys(theirs)) {
      expect([name, mine[name].type]).toEqual([name, theirs[name].type]);
      // Ours may have counted more (the first test's requests); every upstream series must exist here.
      expect(mine[name].series).toEqual(expect.arrayContaining(theirs[name].series));
    }
    const upstreamFamilies = await scrape(upstream!.url);
    expect(summaryOf(upstreamFamilies, 'pushgateway_http_push_size_bytes', 'put').quantiles).toEqual([0.1, 0.5, 0.9]);
    const build = upstreamFamilies.find((f) => f.name === 'pushgateway_build_info')!;
    const ourBuild = (await scrape(ours!.url)).find((f) => f.name === 'pushgateway_build_info')!;
    // 1.11 (common/version) adds `tags` to 1.5.1's build_info labels; ours has 1.11's set.
    expect(ourBuild.metric[0].label.map((l) => l.name).sort()).toEqual([...build.metric[0].label.map((l) => l.name), 'tags'].sort());
  });
});
