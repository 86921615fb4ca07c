import { IncomingMessage } from 'node:http';
import { Counter, Gauge, Histogram, Pushgateway, Registry, Summary } from 'prom-client';
import { useGateway } from '../support/gateway';
import { itWhen } from '../support/test-env';
import { comparableScrape, parseValidExposition } from '../support/exposition-compare';
import { findPythonWithPrometheusClient, hasCommand, runProcess } from '../support/client-processes';

/**
 * Real clients against our gateway: prom-client's Pushgateway (npm), Python prometheus_client
 * (Debian python3-prometheus-client) and curl, each checked by the exact lines a scrape then shows.
 */

/** The scrape's lines (HELP, TYPE, samples) of families whose name starts with `prefix`; push times as `<time>`. */
function familiesOf(body: string, prefix: string): string[] {
  parseValidExposition(body);
  const re = new RegExp(`^(# (HELP|TYPE) )?${prefix}`);
  return comparableScrape(body).filter((l) => re.test(l));
}

/** push_time_seconds / push_failure_time_seconds samples of one exposed label set. */
function pushTimesOf(body: string, labels: string): string[] {
  return comparableScrape(body).filter((l) => l.startsWith(`push_time_seconds${labels} `) || l.startsWith(`push_failure_time_seconds${labels} `));
}

/** The HTTP status a prom-client Pushgateway call resolved with (it rejects on >= 400). */
async function statusOf(call: Promise<{ resp?: unknown }>): Promise<number | undefined> {
  return ((await call).resp as IncomingMessage).statusCode;
}

const python = findPythonWithPrometheusClient();
const itPython = itWhen(python !== undefined, 'no python3 can import prometheus_client (Debian package python3-prometheus-client)');
const itCurl = itWhen(hasCommand('curl'), 'curl is not installed');

/**
 * One Python program running comma-separated actions in order: `python3 -c PY <gateway url> push,pushadd`
 * (one interpreter start per scrape check keeps the tests fast). Created series are disabled so
 * that the output holds no clock values.
 */
const PY = `
import sys
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Summary
from prometheus_client import push_to_gateway, pushadd_to_gateway, delete_from_gateway

url, actions = sys.argv[1], sys.argv[2].split(',')
group = {'instance': 'py', 'path': '/var/tmp'}

def full():
    r = CollectorRegistry()
    Counter('py_requests', '请求总数 with \\\\ and\\nnewline', ['method'], registry=r).labels('get').inc(3)
    Gauge('py_temperature', 'Temperature.', registry=r).set(-1.5)
    h = Histogram('py_latency_seconds', 'Latency.', buckets=[0.5, 1, 2], registry=r)
    for v in (0.25, 0.75, 3):
        h.observe(v)
    s = Summary('py_size_bytes', 'Sizes.', registry=r)
    for v in (1, 2.5):
        s.observe(v)
    return r

def gauge(name, value):
    r = CollectorRegistry()
    Gauge(name, 'A gauge.', registry=r).set(value)
    return r

for action in actions:
    if action == 'push':
        push_to_gateway(url, job='pyjob', registry=full(), grouping_key=group)
    elif action == 'pushadd':
        r = gauge('py_temperature', 21)
        Gauge('py_added', 'Added later.', registry=r).set(1)
        pushadd_to_gateway(url, job='pyjob', registry=r, grouping_key=group)
    elif action == 'push-small':
        push_to_gateway(url, job='pyjob', registry=gauge('py_small', 5), grouping_key=group)
    elif action == 'delete':
        delete_from_gateway(url, job='pyjob', grouping_key=group)
    elif action == 'slash-job-empty-value':
        push_to_gateway(url, job='batch/nightly', registry=gauge('py_flag', 1), grouping_key={'shard': ''})
    elif action == 'conflict':
        push_to_gateway(url, job='pyjob2', registry=gauge('py_requests_total', 1))
    else:
        raise SystemExit('unknown action ' + action)
`;

describe('real clients', () => {
  const gw = useGateway({ ADMIN_API_ENABLED: 'true' });
  beforeEach(async () => {
    expect((await fetch(`${gw.url}/api/v1/admin/wipe`, { method: 'PUT' })).status).toBe(202);
  });

  const scrape = async (): Promise<string> => {
    const res = await fetch(`${gw.url}/metrics`);
    expect(res.status).toBe(200);
    return res.text();
  };

  describe('prom-client Pushgateway', () => {
    const TEMPERATURE_HELP = 'Degrees "C" \\ and 中文';
    function fullRegistry(): Registry {
      const r = new Registry();
      const c = new Counter({ name: 'pc_jobs_total', help: 'Jobs done.', labelNames: ['kind'], registers: [r] });
      c.inc({ kind: 'a' }, 3);
      c.inc({ kind: 'b' });
      new Gauge({ name: 'pc_temperature', help: TEMPERATURE_HELP, registers: [r] }).set(-1.5);
      const h = new Histogram({ name: 'pc_latency_seconds', help: 'Latency.', buckets: [0.5, 1], registers: [r] });
      [0.25, 0.75, 2].forEach((v) => h.observe(v));
      const s = new Summary({ name: 'pc_size_bytes', help: 'Sizes.', percentiles: [0.5, 0.9], registers: [r] });
      [1, 2, 3].forEach((v) => s.observe(v));
      return r;
    }
    const groupings = { instance: 'pc', team: 'a' };
    const G = 'instance="pc",job="pcjob",team="a"';
    const FULL = [
      '# HELP pc_jobs_total Jobs done.',
      '# TYPE pc_jobs_total counter',
      `pc_jobs_total{instance="pc",job="pcjob",kind="a",team="a"} 3`,
      `pc_jobs_total{instance="pc",job="pcjob",kind="b",team="a"} 1`,
      '# HELP pc_latency_seconds Latency.',
      '# TYPE pc_latency_seconds histogram',
      `pc_latency_seconds_bucket{${G},le="0.5"} 1`,
      `pc_latency_seconds_bucket{${G},le="1"} 2`,
      `pc_latency_seconds_bucket{${G},le="+Inf"} 3`,
      `pc_latency_seconds_sum{${G}} 3`,
      `pc_latency_seconds_count{${G}} 3`,
      '# HELP pc_size_bytes Sizes.',
      '# TYPE pc_size_bytes summary',
      `pc_size_bytes{${G},quantile="0.5"} 2`,
      `pc_size_bytes{${G},quantile="0.9"} 3`,
      `pc_size_bytes_sum{${G}} 6`,
      `pc_size_bytes_count{${G}} 3`,
      '# HELP pc_temperature Degrees "C" \\\\ and 中文',
      '# TYPE pc_temperature gauge',
      `pc_temperature{${G}} -1.5`,
    ];

    it('push (PUT) stores the registry with the groupings, gzip-compressed', async () => {
      const gateway = new Pushgateway(gw.url, { headers: { 'Content-Encoding': 'gzip' } }, fullRegistry());
      expect(await statusOf(gateway.push({ jobName: 'pcjob', groupings }))).toBe(200);
      const body = await scrape();
      expect(familiesOf(body, 'pc_')).toEqual(FULL);
      expect(pushTimesOf(body, `{${G}}`)).toEqual([`push_failure_time_seconds{${G}} 0`, `push_time_seconds{${G}} <time>`]);
    });

    it('pushAdd (POST) replaces only the pushed families; push (PUT) replaces the group; delete removes it', async () => {
      await new Pushgateway(gw.url, {}, fullRegistry()).push({ jobName: 'pcjob', groupings });
      const extra = new Registry();
      new Gauge({ name: 'pc_temperature', help: TEMPERATURE_HELP, registers: [extra] }).set(21);
      new Gauge({ name: 'pc_added', help: 'Added later.', registers: [extra] }).set(1);
      expect(await statusOf(new Pushgateway(gw.url, {}, extra).pushAdd({ jobName: 'pcjob', groupings }))).toBe(200);
      expect(familiesOf(await scrape(), 'pc_')).toEqual([
        '# HELP pc_added Added later.',
        '# TYPE pc_added gauge',
        `pc_added{${G}} 1`,
        ...FULL.slice(0, -1),
        `pc_temperature{${G}} 21`,
      ]);

      const small = new Registry();
      new Gauge({ name: 'pc_small', help: 'Small.', registers: [small] }).set(5);
      const gateway = new Pushgateway(gw.url, {}, small);
      expect(await statusOf(gateway.push({ jobName: 'pcjob', groupings }))).toBe(200);
      expect(familiesOf(await scrape(), 'pc_')).toEqual(['# HELP pc_small Small.', '# TYPE pc_small gauge', `pc_small{${G}} 5`]);

      expect(await statusOf(gateway.delete({ jobName: 'pcjob', groupings }))).toBe(202);
      const after = await scrape();
      expect(familiesOf(after, 'pc_')).toEqual([]);
      expect(pushTimesOf(after, `{${G}}`)).toEqual([]);
    });

    it('a grouping value containing `/` is percent-encoded by prom-client, which splits it: 400, nothing stored', async () => {
      // prom-client sends /path/%2Fvar%2Ftmp; escapes are decoded before splitting (upstream does the same).
      const gateway = new Pushgateway(gw.url, {}, fullRegistry());
      await expect(gateway.push({ jobName: 'pcjob', groupings: { path: '/var/tmp' } })).rejects.toThrow(/push failed with status 400/);
      await expect(gateway.pushAdd({ jobName: 'pcjob', groupings: { path: 'a/b' } })).rejects.toThrow(/push failed with status 400, odd number of components/);
      const body = await scrape();
      expect(familiesOf(body, 'pc_')).toEqual([]);
      expect(familiesOf(body, 'push_')).toEqual([]);
    });

    it('a grouping value containing `/` works through a `<name>@base64` grouping', async () => {
      const gateway = new Pushgateway(gw.url, {}, fullRegistry());
      const groupingsB64 = { 'path@base64': Buffer.from('/var/tmp').toString('base64url'), instance: 'pc' };
      expect(await statusOf(gateway.push({ jobName: 'pcjob', groupings: groupingsB64 }))).toBe(200);
      const body = await scrape();
      expect(familiesOf(body, 'pc_temperature')).toEqual([
        '# HELP pc_temperature Degrees "C" \\\\ and 中文',
        '# TYPE pc_temperature gauge',
        'pc_temperature{instance="pc",job="pcjob",path="/var/tmp"} -1.5',
      ]);
      expect(await statusOf(gateway.delete({ jobName: 'pcjob', groupings: groupingsB64 }))).toBe(202);
      expect(familiesOf(await scrape(), 'pc_')).toEqual([]);
    });
  });

  describe('Python prometheus_client', () => {
    const py = async (action: string): Promise<{ code: number | null; stderr: string }> => {
      const { code, stderr } = await runProcess(python!, ['-c', PY, gw.url, action], { env: { PROMETHEUS_DISABLE_CREATED_SERIES: 'True' } });
      return { code, stderr };
    };
    // The client sends `/` in a value as `path@base64/L3Zhci90bXA=` (padded URL-safe base64).
    const G = 'instance="py",job="pyjob",path="/var/tmp"';
    const FULL = [
      '# HELP py_latency_seconds Latency.',
      '# TYPE py_latency_seconds histogram',
      `py_latency_seconds_bucket{${G},le="0.5"} 1`,
      `py_latency_seconds_bucket{${G},le="1"} 2`,
      `py_latency_seconds_bucket{${G},le="2"} 2`,
      `py_latency_seconds_bucket{${G},le="+Inf"} 3`,
      `py_latency_seconds_sum{${G}} 4`,
      `py_latency_seconds_count{${G}} 3`,
      '# HELP py_requests_total 请求总数 with \\\\ and\\nnewline',
      '# TYPE py_requests_total counter',
      `py_requests_total{instance="py",job="pyjob",method="get",path="/var/tmp"} 3`,
      '# HELP py_size_bytes Sizes.',
      '# TYPE py_size_bytes summary',
      `py_size_bytes_sum{${G}} 3.5`,
      `py_size_bytes_count{${G}} 2`,
      '# HELP py_temperature Temperature.',
      '# TYPE py_temperature gauge',
      `py_temperature{${G}} -1.5`,
    ];

    itPython('push_to_gateway with a `/` in a grouping value, a Histogram, a Summary and a Chinese HELP', async () => {
      expect(await py('push')).toEqual({ code: 0, stderr: '' });
      const body = await scrape();
      expect(familiesOf(body, 'py_')).toEqual(FULL);
      expect(pushTimesOf(body, `{${G}}`)).toEqual([`push_failure_time_seconds{${G}} 0`, `push_time_seconds{${G}} <time>`]);
    });

    itPython('pushadd_to_gateway replaces only the pushed families, push_to_gateway the group, delete_from_gateway removes it', async () => {
      expect(await py('push,pushadd')).toEqual({ code: 0, stderr: '' });
      expect(familiesOf(await scrape(), 'py_')).toEqual([
        '# HELP py_added Added later.',
        '# TYPE py_added gauge',
        `py_added{${G}} 1`,
        ...FULL.slice(0, -3),
        '# HELP py_temperature A gauge.',
        '# TYPE py_temperature gauge',
        `py_temperature{${G}} 21`,
      ]);
      expect(await py('push-small')).toEqual({ code: 0, stderr: '' });
      expect(familiesOf(await scrape(), 'py_')).toEqual(['# HELP py_small A gauge.', '# TYPE py_small gauge', `py_small{${G}} 5`]);
      expect(await py('delete')).toEqual({ code: 0, stderr: '' });
      const after = await scrape();
      expect(familiesOf(after, 'py_')).toEqual([]);
      expect(pushTimesOf(after, `{${G}}`)).toEqual([]);
    });

    itPython('a job containing `/` and an empty grouping value (sent as job@base64 and `shard@base64/=`)', async () => {
      expect(await py('slash-job-empty-value')).toEqual({ code: 0, stderr: '' });
      expect(familiesOf(await scrape(), 'py_')).toEqual([
        '# HELP py_flag A gauge.',
        '# TYPE py_flag gauge',
        'py_flag{instance="",job="batch/nightly",shard=""} 1',
      ]);
    });

    itPython('a rejected push raises in the client (HTTP 400)', async () => {
      const res = await py('push,conflict');
      expect(res.code).not.toBe(0);
      expect(res.stderr).toMatch(/HTTP Error 400|400/);
      expect(familiesOf(await scrape(), 'py_requests_total')).toEqual(FULL.slice(8, 11));
    });
  });

  describe('curl', () => {
    const curl = (args: string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> =>
      runProcess('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', ...args], { input });

    itCurl('the seed doc example: no-job grouping key under /api/v2, text/plain 0.0.4 with charset', async () => {
      const res = await curl(
        [
          '-H',
          'Content-Type: text/plain; version=0.0.4; charset=utf-8',
          '--data-binary',
          '@-',
          `${gw.url}/api/v2/metrics/label_key_1/label_value_1/label_key_2/label_value_2`,
        ],
        'some_metric 3.14\n',
      );
      expect(res).toEqual({ code: 0, stdout: '200', stderr: '' });
      const body = await scrape();
      const G = 'instance="",label_key_1="label_value_1",label_key_2="label_value_2"';
      expect(familiesOf(body, 'some_metric')).toEqual(['# TYPE some_metric untyped', `some_metric{${G}} 3.14`]);
      expect(pushTimesOf(body, `{${G}}`)).toEqual([`push_failure_time_seconds{${G}} 0`, `push_time_seconds{${G}} <time>`]);
    });

    itCurl('curl’s default Content-Type (application/x-www-form-urlencoded) is parsed as text; -X DELETE removes the group', async () => {
      expect(await curl(['--data-binary', '@-', `${gw.url}/metrics/job/curl/instance/c1`], '# HELP form_metric 中文帮助\nform_metric{a="b"} 1\n')).toEqual({
        code: 0,
        stdout: '200',
        stderr: '',
      });
      expect(
        await curl(['-X', 'PUT', '--data-binary', '@-', `${gw.url}/metrics/job/curl/instance/c2`], '# HELP form_metric 中文帮助\nform_metric{a="c"} 2\n'),
      ).toEqual({
        code: 0,
        stdout: '200',
        stderr: '',
      });
      expect(familiesOf(await scrape(), 'form_metric')).toEqual([
        '# HELP form_metric 中文帮助',
        '# TYPE form_metric untyped',
        'form_metric{a="b",instance="c1",job="curl"} 1',
        'form_metric{a="c",instance="c2",job="curl"} 2',
      ]);
      expect(await curl(['-X', 'DELETE', `${gw.url}/metrics/job/curl/instance/c1`])).toEqual({ code: 0, stdout: '202', stderr: '' });
      expect(familiesOf(await scrape(), 'form_metric')).toEqual([
        '# HELP form_metric 中文帮助',
        '# TYPE form_metric untyped',
        'form_metric{a="c",instance="c2",job="curl"} 2',
      ]);
    });
  });
});
