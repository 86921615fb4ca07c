import { parseText } from '../../src/core/exposition/text-parser';
import { MetricFamily, MetricType } from '../../src/core/model/metric-family';
import { createTestDatabase, InProcessGateway, startInProcess, TestDatabase } from '../support/gateway';
import { itWhen } from '../support/test-env';
import { findUpstreamBinary, send, sendAll, startUpstream, Step, UpstreamGateway } from '../support/upstream';

/**
 * Self-metrics like upstream (issue 12 point 5): pushgateway `handler/metrics.go` and `main.go`'s
 * instrumentation (research note §5), compared with Debian's 1.5.1, which has the same
 * `pushgateway_*` families (1.11 adds none): names, types, label names, summary quantiles, and
 * which requests each counts.
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
  { method: 'GET', path: '/metrics' },
];

/** Every pushgateway_* family of a scrape: name, type, label names of each series (sorted, without values). */
function shape(families: MetricFamily[]): Record<string, { type: MetricType; series: string[] }> {
  const out: Record<string, { type: MetricType; series: string[] }> = {};
  for (const mf of families.filter((f) => f.name.startsWith('pushgateway_') && f.name !== 'pushgateway_build_info')) {
    out[mf.name] = {
      type: mf.type,
      series: [...new Set(mf.metric.map((m) => m.label.map((l) => `${l.name}=${l.name === 'method' || l.name === 'handler' || l.name === 'code' ? l.value : '*'}`).sort().join(',')))].sort(),
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
    ours = await startInProcess(db);
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
    expect((await sendAll(ours!.url, STEPS)).map((r) => r.status)).toEqual([200, 400, 200, 400, 202, 200, 200, 200, 200]);
    const families = await scrape(ours!.url);
    for (const name of ['pushgateway_http_push_duration_seconds', 'pushgateway_http_push_size_bytes']) {
      expect(families.find((f) => f.name === name)?.type).toBe(MetricType.SUMMARY);
      expect(summaryOf(families, name, 'put')).toEqual({ count: 3, quantiles: [0.1, 0.5, 0.9] });
      expect(summaryOf(families, name, 'post')).toEqual({ count: 1, quantiles: [0.1, 0.5, 0.9] });
    }
    const requests = families.find((f) => f.name === 'pushgateway_http_requests_total')!;
    const counted = requests.metric.map((m) => Object.fromEntries(m.label.map((l) => [l.name, l.value]))).map((l) => `${l.handler} ${l.method} ${l.code}`);
    expect(counted).toEqual(expect.arrayContaining(['push put 200', 'push put 400', 'push post 200', 'delete delete 202', 'api/v1/status get 200', 'healthy get 200']));
    // Scrapes are not counted (upstream instruments every handler but /metrics).
    expect(counted.filter((c) => c.includes('metrics get'))).toEqual([]);
    const build = families.find((f) => f.name === 'pushgateway_build_info')!;
    expect(build.metric[0].label.map((l) => l.name).sort()).toEqual(['branch', 'goarch', 'goos', 'goversion', 'revision', 'tags', 'version']);
  });

  it('the gateway also exposes client_golang process metrics prom-client lacks (Linux)', async () => {
    const names = (await scrape(ours!.url)).map((f) => f.name);
    for (const name of ['process_cpu_seconds_total', 'process_max_fds', 'process_open_fds', 'process_resident_memory_bytes', 'process_start_time_seconds', 'process_virtual_memory_bytes', 'process_virtual_memory_max_bytes', 'process_network_receive_bytes_total', 'process_network_transmit_bytes_total']) {
      expect(names).toContain(name);
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
