import { useGateway } from '../support/gateway';
import { encodeProtobufDelimited } from '../../src/core/exposition/protobuf-delimited';
import { family, gauge } from '../../src/core/exposition/testdata/factories';
import { MetricType } from '../../src/core/model/metric-family';

/**
 * UTF-8 names (issue 12 point 1): PUSH_ENABLE_UTF8_NAMES as upstream 1.11.3's
 * `--push.enable-utf8-names` (main.go sets handler.ValidationScheme / EscapingScheme; handler/push.go
 * parses text with that scheme; handler/misc.go splitLabels unescapes `U__` label names). Expected
 * answers are the research note's §1 table; 1.11 is not installed here, so they are written out.
 */
const PB = { 'Content-Type': 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited' };

type GroupJson = Record<string, unknown> & { labels: Record<string, string> };

async function groups(url: string): Promise<GroupJson[]> {
  const res = await fetch(`${url}/api/v1/metrics`);
  return ((await res.json()) as { data: GroupJson[] }).data;
}

async function put(url: string, path: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(`${url}/metrics/job/${path}`, { method: 'PUT', body, headers });
  return `${res.status} ${await res.text()}`.trim();
}

describe('PUSH_ENABLE_UTF8_NAMES=true', () => {
  const gw = useGateway({ PUSH_ENABLE_UTF8_NAMES: 'true' });

  it.each<[string, string, string | Buffer, Record<string, string>, string, Record<string, string>]>([
    ['quoted metric and label names in text', 'q', '{"my.metric","my.label"="v"} 1\n', {}, 'my.metric', { 'my.label': 'v', job: 'q', instance: '' }],
    ['a quoted legacy name', 'ql', '{"m"} 1\n', {}, 'm', { job: 'ql', instance: '' }],
    [
      'UTF-8 names in protobuf',
      'p',
      encodeProtobufDelimited([family('pb.metric', MetricType.GAUGE, [gauge(1, { 'pb.label': 'v' })], 'h')]),
      PB,
      'pb.metric',
      { 'pb.label': 'v', job: 'p', instance: '' },
    ],
    ['a U__ label name in the URL', 'u/U__my_2e_label/v', 'x 1\n', {}, 'x', { 'my.label': 'v', job: 'u', instance: '' }],
    ['a U__ label name with @base64', 'ub/U__my_2e_label@base64/dg', 'x 1\n', {}, 'x', { 'my.label': 'v', job: 'ub', instance: '' }],
  ])('%s: 200 and stored under the UTF-8 name', async (_name, path, body, headers, metric, labels) => {
    expect(await put(gw.url, path, body, headers)).toBe('200');
    const job = labels.job;
    const group = (await groups(gw.url)).find((g) => g.labels.job === job)!;
    expect((group[metric] as { metrics: Array<{ labels: Record<string, string> }> }).metrics[0].labels).toEqual(labels);
  });

  it('/api/v1/status lists the flag as upstream 1.11 does', async () => {
    const status = (await (await fetch(`${gw.url}/api/v1/status`)).json()) as { data: { flags: Record<string, string> } };
    expect(status.data.flags['push.enable-utf8-names']).toBe('true');
  });

  it('/api/v1/label/<name>/values decodes U__ names as Prometheus 3.0.1+ (web/api/v1/api.go labelValues, model.UnescapeName)', async () => {
    expect(await put(gw.url, 'lv', '{"lv.metric","some.label"="v1","odd\u0000name"="n"} 1\n{"lv.metric","some.label"="v2","odd\u0000name"="n"} 2\n')).toBe(
      '200',
    );
    const values = async (segment: string): Promise<string> => {
      const res = await fetch(`${gw.url}/api/v1/label/${segment}/values`);
      return `${res.status} ${await res.text()}`;
    };
    const ok = (data: string[]): string => `200 ${JSON.stringify({ status: 'success', data })}`;
    expect(await values('U__some_2e_label')).toBe(ok(['v1', 'v2']));
    expect(await values('U__some_2E_label')).toBe(ok(['v1', 'v2']));
    // The segment as it is, percent-decoded: any UTF-8 name is valid under Prometheus 3's validation.
    expect(await values('some.label')).toBe(ok(['v1', 'v2']));
    expect(await values('U__odd_0_name')).toBe(ok(['n']));
    expect(await values('odd%00name')).toBe(ok(['n']));
    expect(await values('U______name____')).toBe(await values('__name__'));
    expect(await values('U______name____')).toMatch(/"lv\.metric"/);
    // A malformed escape is taken literally: a label nobody has.
    expect(await values('U__some_2x_label')).toBe(ok([]));
    const post = await fetch(`${gw.url}/api/v1/label/U__some_2e_label/values`, {
      method: 'POST',
      body: new URLSearchParams({ 'match[]': '{"some.label"="v2"}' }),
    });
    expect(`${post.status} ${await post.text()}`).toBe(ok(['v2']));
    // Percent escapes that are not UTF-8 are refused for every route before routing.
    expect(await values('%FF')).toMatch(/^400 invalid URL: percent-escapes must decode to valid UTF-8/);
    expect(await values('U__')).toBe('400 {"status":"error","errorType":"bad_data","error":"invalid label name: \\"\\""}');
  });

  it('still refuses `__` label names, also when they only appear after decoding (upstream poisons its store there)', async () => {
    expect(await put(gw.url, 'r/U______x/v', 'x 1\n')).toBe('400 improper label name "U______x"');
    expect(await put(gw.url, 'r', 'x{"__x"="v"} 1\n')).toMatch(/^400 pushed metrics are invalid .*invalid name: __x/);
  });

  it.each<[string, string, string, string]>([
    [
      'two body labels, escaping=underscores',
      'c1',
      'm{"a.b"="1",a_b="2"} 1\n',
      'has labels "a.b" and "a_b", which a scrape with escaping=underscores shows as one label',
    ],
    [
      'two body labels, escaping=dots',
      'c2',
      'm{"a.b"="1",a_dot_b="2"} 1\n',
      'has labels "a.b" and "a_dot_b", which a scrape with escaping=dots shows as one label',
    ],
    [
      'two body labels, escaping=values',
      'c3',
      'm{"a.b"="1",U__a_2e_b="2"} 1\n',
      'has labels "U__a_2e_b" and "a.b", which a scrape with escaping=values shows as one label',
    ],
    ['a grouping label and a body label', 'c4/my.label/v', 'm{my_label="2"} 1\n', 'which a scrape with escaping=underscores shows as one label'],
  ])('refuses a series whose label names one escaped scrape shows as one (%s): that scrape would be refused whole', async (_name, path, body, message) => {
    const answer = await put(gw.url, path, body);
    expect(answer).toMatch(/^400 pushed metrics are invalid or inconsistent/);
    expect(answer).toContain(message);
    // As for any push the check refuses: only the group's failure time is recorded, no series.
    const scrape = await fetch(`${gw.url}/metrics`, { headers: { Accept: 'text/plain;version=0.0.4;escaping=underscores' } });
    const job = path.split('/')[0];
    expect((await scrape.text()).split('\n').filter((l) => l.startsWith('m{') && l.includes(`job="${job}"`))).toEqual([]);
  });

  it('keeps names apart that every escaping keeps apart', async () => {
    expect(await put(gw.url, 'c5', 'm{"a.b"="1",a_c="2"} 1\n')).toBe('200');
  });
});

describe('PUSH_ENABLE_UTF8_NAMES off (default): upstream 1.11.3 messages', () => {
  const gw = useGateway();

  it.each<[string, string, string | Buffer, Record<string, string>, string]>([
    ['quoted metric name', 'q', '{"my.metric"} 1\n', {}, '400 text format parsing error in line 1: invalid metric name "my.metric"'],
    ['quoted label name', 'q', 'm{"my.label"="v"} 1\n', {}, '400 text format parsing error in line 1: invalid label name "my.label"'],
    ['unquoted dotted name', 'q', 'my.metric 1\n', {}, '400 text format parsing error in line 1: expected float as value, got ".metric"'],
    ['dotted label name in the URL', 'q/my.label/v', 'x 1\n', {}, '400 improper label name "my.label"'],
    ['a quoted legacy name is fine', 'ok', '{"m"} 1\n', {}, '200'],
    ['a U__ label name is a literal legacy name', 'u/U__my_2e_label/v', 'x 1\n', {}, '200'],
  ])('%s', async (_name, path, body, headers, expected) => {
    expect(await put(gw.url, path, body, headers)).toBe(expected);
  });

  it('U__ label names stay literal', async () => {
    const group = (await groups(gw.url)).find((g) => g.labels.job === 'u')!;
    expect(group.labels).toEqual({ job: 'u', U__my_2e_label: 'v' });
  });

  // Deliberate difference (README): 1.11.3 takes these (its protobuf names are checked under the
  // global UTF-8 scheme whatever the flag); ours checks protobuf names like text names.
  it('protobuf UTF-8 names are refused with the setting off', async () => {
    const body = encodeProtobufDelimited([family('pb.metric', MetricType.GAUGE, [gauge(1)], 'h')]);
    expect(await put(gw.url, 'p', body, PB)).toMatch(/^400 .*invalid metric name "pb.metric"/);
  });
});
