import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort, useGateway } from '../support/gateway';
import { comparableScrape } from '../support/exposition-compare';
import { isExecutable } from '../support/reference-server';
import { itWhen } from '../support/test-env';
import { parseProtobufDelimited } from '../../src/core/exposition/protobuf-delimited';
import { parseOpenMetrics } from '../../src/core/exposition/openmetrics-parser';

/**
 * Scrape negotiation like upstream 1.11.3 (issue 12 point 2): prometheus/common `expfmt/encode.go`
 * Negotiate and `model.EscapeMetricFamily` as pushgateway's `/metrics` (promhttp.HandlerFor) uses
 * them, with the research note §2 tables as the expected answers (1.11.3 is not installed here),
 * the recorded Prometheus 3 Accept headers (`scrape/scrape.go` acceptHeader), and Debian's
 * Prometheus 2.42 scraping UTF-8 names it cannot parse unescaped.
 */
const P3_DEFAULT =
  'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2';
const P3_PROTO_FIRST =
  'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1';
const P30_PROTO_FIRST =
  'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,text/plain;version=0.0.4;escaping=allow-utf-8;q=0.2,*/*;escaping=allow-utf-8;q=0.1';
const TEXT = 'text/plain; version=0.0.4; charset=utf-8';
const PROTO = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';

const BODY =
  '{"my.metric","my.label"="v"} 1\n# TYPE "h.x" histogram\n{"h.x_bucket",le="1"} 1\n{"h.x_bucket",le="+Inf"} 2\n{"h.x_sum"} 3\n{"h.x_count"} 2\nplain{a="b"} 4\n';

const PROMETHEUS = ['/usr/bin/prometheus'].find(isExecutable);
const itPrometheus = itWhen(PROMETHEUS !== undefined, 'prometheus is not installed (Debian package prometheus)');

type PromSeries = Array<{ metric: Record<string, string>; value: [number, string] }>;

/** Debian's Prometheus scraping `target` every second (honor_labels), with a query helper. */
async function startPrometheus(
  target: string,
): Promise<{ query: (q: string) => Promise<PromSeries>; until: (q: string) => Promise<PromSeries>; stop: () => void }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pgw-prom-neg-'));
  const port = await freePort();
  const config = {
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    scrape_configs: [{ job_name: 'pgw', honor_labels: true, static_configs: [{ targets: [target] }] }],
  };
  writeFileSync(path.join(dir, 'prometheus.yml'), JSON.stringify(config));
  let log = '';
  const prom: ChildProcess = spawn(
    PROMETHEUS!,
    [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  prom.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  prom.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const query = async (q: string): Promise<PromSeries> => {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`);
      return ((await res.json()) as { data: { result: PromSeries } }).data.result;
    } catch {
      return [];
    }
  };
  const until = async (q: string): Promise<PromSeries> => {
    const deadline = Date.now() + 30000;
    for (;;) {
      const series = await query(q);
      if (series.length > 0) {
        return series;
      }
      if (Date.now() > deadline || prom.exitCode !== null) {
        throw new Error(`${q} not scraped in time\n${log.slice(-3000)}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  const stop = (): void => {
    prom.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  return { query, until, stop };
}

describe('scrape negotiation and name escaping', () => {
  const gw = useGateway({ PUSH_ENABLE_UTF8_NAMES: 'true' });

  beforeAll(async () => {
    const res = await fetch(`${gw.url}/metrics/job/j/U__g_2e_l/w`, { method: 'PUT', body: BODY });
    expect(res.status).toBe(200);
  });

  const scrape = async (accept?: string): Promise<{ type: string | null; lines: string[] }> => {
    const res = await fetch(`${gw.url}/metrics`, { headers: accept === undefined ? {} : { Accept: accept } });
    return { type: res.headers.get('content-type'), lines: comparableScrape(await res.text()) };
  };

  it.each<[string, string | undefined, string, string[]]>([
    [
      'no Accept: underscores',
      undefined,
      `${TEXT}; escaping=underscores`,
      [
        '# TYPE my_metric untyped',
        'my_metric{g_l="w",instance="",job="j",my_label="v"} 1',
        'h_x_bucket{g_l="w",instance="",job="j",le="1"} 1',
        'h_x_count{g_l="w",instance="",job="j"} 2',
        'plain{a="b",g_l="w",instance="",job="j"} 4',
        'push_time_seconds{g_l="w",instance="",job="j"} <time>',
      ],
    ],
    [
      'Prometheus 3.4+ default: allow-utf-8',
      P3_DEFAULT,
      `${TEXT}; escaping=allow-utf-8`,
      [
        '# TYPE "my.metric" untyped',
        '{"my.metric","g.l"="w",instance="",job="j","my.label"="v"} 1',
        '{"h.x_bucket","g.l"="w",instance="",job="j",le="1"} 1',
        'plain{a="b","g.l"="w",instance="",job="j"} 4',
      ],
    ],
    [
      'dots',
      'text/plain;version=0.0.4;escaping=dots',
      `${TEXT}; escaping=dots`,
      ['my_dot_metric{g_dot_l="w",instance="",job="j",my_dot_label="v"} 1', 'h_dot_x_sum{g_dot_l="w",instance="",job="j"} 3'],
    ],
    [
      'values, from a text/plain 1.0.0 clause',
      'text/plain;version=1.0.0;escaping=values',
      `${TEXT}; escaping=values`,
      ['U__my_2e_metric{U__g_2e_l="w",instance="",job="j",U__my_2e_label="v"} 1'],
    ],
  ])('%s', async (_name, accept, contentType, expected) => {
    const got = await scrape(accept);
    expect(got.type).toBe(contentType);
    expect(got.lines).toEqual(expect.arrayContaining(expected));
  });

  it.each<[string, string, string, string[]]>([
    ['Prometheus 3.4+ protobuf first: UTF-8 names escaped with underscores', P3_PROTO_FIRST, 'underscores', ['my_metric', 'h_x', 'plain']],
    ['Prometheus 3.0-3.3 protobuf first: names kept', P30_PROTO_FIRST, 'allow-utf-8', ['my.metric', 'h.x', 'plain']],
  ])('%s', async (_name, accept, escaping, names) => {
    const res = await fetch(`${gw.url}/metrics`, { headers: { Accept: accept } });
    expect(res.headers.get('content-type')).toBe(`${PROTO}; escaping=${escaping}`);
    const families = parseProtobufDelimited(Buffer.from(await res.arrayBuffer()));
    for (const name of names) {
      expect(families.map((f) => f.name)).toContain(name);
    }
    const label = escaping === 'underscores' ? 'g_l' : 'g.l';
    expect(families.find((f) => f.name === 'push_time_seconds')!.metric[0].label.map((l) => l.name)).toContain(label);
  });

  itPrometheus(
    'Debian Prometheus 2.42 scrapes UTF-8 names, escaped with underscores, and the target stays up',
    async () => {
      const prom = await startPrometheus(new URL(gw.url).host);
      try {
        const series = await prom.until('my_metric');
        expect(series.map((s) => [s.metric, s.value[1]])).toEqual([[{ __name__: 'my_metric', g_l: 'w', job: 'j', my_label: 'v' }, '1']]);
        expect((await prom.query('up{job="pgw"}')).map((s) => s.value[1])).toEqual(['1']);
      } finally {
        prom.stop();
      }
    },
    60000,
  );
});

/**
 * SCRAPE_OPENMETRICS=true (off by default; upstream never answers in OpenMetrics): an Accept that
 * prefers OpenMetrics gets OpenMetrics 1.0 (prometheus/common NegotiateIncludingOpenMetrics rules).
 */
describe('SCRAPE_OPENMETRICS=true', () => {
  const gw = useGateway({ SCRAPE_OPENMETRICS: 'true' });

  beforeAll(async () => {
    const res = await fetch(`${gw.url}/metrics/job/om`, {
      method: 'PUT',
      body: '# TYPE plain_counter counter\nplain_counter 3\n# TYPE done_total counter\ndone_total 4\n',
    });
    expect(res.status).toBe(200);
  });

  it('answers the Prometheus 3 default Accept in OpenMetrics, ending # EOF, valid for the OpenMetrics parser', async () => {
    const res = await fetch(`${gw.url}/metrics`, { headers: { Accept: P3_DEFAULT } });
    expect(res.headers.get('content-type')).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8');
    const text = await res.text();
    expect(text.endsWith('# EOF\n')).toBe(true);
    const families = parseOpenMetrics(text);
    // What changes (README): a counter pushed without `_total` is scraped as `<name>_total`.
    expect(text).toContain('# TYPE plain_counter counter\nplain_counter_total{instance="",job="om"} 3.0\n');
    expect(text).toContain('# TYPE done counter\ndone_total{instance="",job="om"} 4.0\n');
    expect(families.map((f) => f.name)).toEqual(
      expect.arrayContaining(['plain_counter_total', 'done_total', 'push_time_seconds', 'process_cpu_seconds_total']),
    );
  });

  it.each([
    ['no Accept', undefined, 'text/plain; version=0.0.4; charset=utf-8; escaping=underscores'],
    ['OpenMetrics 0.0.1', 'application/openmetrics-text;version=0.0.1', 'application/openmetrics-text; version=0.0.1; charset=utf-8; escaping=underscores'],
    ['protobuf first', P3_PROTO_FIRST, `${PROTO}; escaping=underscores`],
  ])('%s', async (_name, accept, contentType) => {
    const res = await fetch(`${gw.url}/metrics`, { headers: accept === undefined ? {} : { Accept: accept } });
    expect(res.headers.get('content-type')).toBe(contentType);
  });

  itPrometheus(
    'Debian Prometheus 2.42 (which asks for OpenMetrics first) scrapes it',
    async () => {
      const prom = await startPrometheus(new URL(gw.url).host);
      try {
        const series = await prom.until('plain_counter_total');
        expect(series.map((s) => s.value[1])).toEqual(['3']);
        expect((await prom.query('up{job="pgw"}')).map((s) => s.value[1])).toEqual(['1']);
      } finally {
        prom.stop();
      }
    },
    60000,
  );
});
