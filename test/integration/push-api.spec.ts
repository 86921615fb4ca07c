import request from 'supertest';
import { useGateway } from '../support/gateway';
import { pushedLines } from '../support/scrape';

describe('push API over HTTP on a real database', () => {
  const gw = useGateway({ ADMIN_API_ENABLED: 'true' });
  beforeEach(async () => {
    await request(gw.url).put('/api/v1/admin/wipe').expect(202);
  });

  const scrape = async (): Promise<string[]> => pushedLines((await request(gw.url).get('/metrics').expect(200)).text);

  it('PUT stores a group and a scrape shows it with grouping labels and push times', async () => {
    await request(gw.url)
      .put('/metrics/job/some_job/instance/some_instance')
      .send('# TYPE some_metric counter\nsome_metric{label="val1"} 42\n# HELP another_metric Just an example.\nanother_metric 2398.283\n')
      .expect(200);
    const lines = await scrape();
    expect(lines).toEqual(
      expect.arrayContaining([
        '# HELP another_metric Just an example.',
        '# TYPE another_metric untyped',
        'another_metric{instance="some_instance",job="some_job"} 2398.283',
        '# TYPE some_metric counter',
        'some_metric{instance="some_instance",job="some_job",label="val1"} 42',
        'push_failure_time_seconds{instance="some_instance",job="some_job"} 0',
      ]),
    );
    expect(lines.some((l) => /^push_time_seconds\{instance="some_instance",job="some_job"\} 1\.\d+e\+09$/.test(l))).toBe(true);
  });

  it('PUT replaces the whole group, POST only same-named families', async () => {
    await request(gw.url).put('/metrics/job/j').send('a 1\nb 2\n').expect(200);
    await request(gw.url).post('/metrics/job/j').send('b 3\nc 4\n').expect(200);
    expect((await scrape()).filter((l) => /^[abc]\{/.test(l))).toEqual(['a{instance="",job="j"} 1', 'b{instance="",job="j"} 3', 'c{instance="",job="j"} 4']);
    await request(gw.url).put('/metrics/job/j').send('c 5\n').expect(200);
    expect((await scrape()).filter((l) => /^[abc]\{/.test(l))).toEqual(['c{instance="",job="j"} 5']);
  });

  it('DELETE removes the group and answers 202, also for a missing group', async () => {
    await request(gw.url).put('/metrics/job/gone').send('x 1\n').expect(200);
    await request(gw.url).delete('/metrics/job/gone').expect(202);
    await request(gw.url).delete('/metrics/job/never-existed').expect(202);
    expect((await scrape()).filter((l) => l.includes('gone'))).toEqual([]);
  });

  it('accepts the seed curl example under /api/v2 with the managed-service content type and Chinese HELP', async () => {
    await request(gw.url)
      .post('/api/v2/metrics/job/seed/label_key_1/label_value_1')
      .set('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
      .send('# HELP some_metric 中文帮助\nsome_metric 3.14\n')
      .expect(200);
    const lines = await scrape();
    expect(lines).toContain('# HELP some_metric 中文帮助');
    expect(lines).toContain('some_metric{instance="",job="seed",label_key_1="label_value_1"} 3.14');
  });

  it.each([
    ['timestamped sample', '/metrics/job/t', 'x 1 1700000000000\n', /must not have timestamps/],
    ['odd path', '/metrics/job/t/odd', 'x 1\n', /odd number of components in label string "\/odd"/],
    ['missing final newline', '/metrics/job/t', 'x 1', /line 1: unexpected end of input stream/],
    ['bad base64 job', '/metrics/job@base64/a!b', 'x 1\n', /invalid base64 encoding in job name/],
    ['empty job', '/metrics/job@base64/=', 'x 1\n', /job name is required/],
    ['reserved label name', '/metrics/job/t/__a/b', 'x 1\n', /improper label name "__a"/],
    ['non-UTF-8 grouping value', '/metrics/job/t/p@base64/_-8', 'x 1\n', /not valid UTF-8/],
    ['duplicate series after grouping labels overwrite body labels', '/metrics/job/t', 'd{job="a"} 1\nd{job="b"} 2\n', /collected before/],
  ])('rejects %s with 400 text/plain and stores nothing', async (_name, path, body, message) => {
    const res = await request(gw.url).put(path).send(body).expect(400);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.text).toMatch(message);
    expect((await scrape()).filter((l) => /^[xd]\{/.test(l))).toEqual([]);
    expect((await request(gw.url).get('/metrics')).status).toBe(200);
  });

  it('reads a text or OpenMetrics body that starts with a UTF-8 byte order mark without the mark (upstream: 400)', async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    await request(gw.url)
      .put('/metrics/job/bom')
      .set('Content-Type', 'text/plain; version=0.0.4')
      .send(Buffer.concat([bom, Buffer.from('bom_metric 1\n')]))
      .expect(200);
    await request(gw.url)
      .put('/metrics/job/bom_om')
      .set('Content-Type', 'application/openmetrics-text; version=1.0.0')
      .send(Buffer.concat([bom, Buffer.from('# TYPE bom_om gauge\nbom_om 2\n# EOF\n')]))
      .expect(200);
    const lines = await scrape();
    expect(lines).toContain('bom_metric{instance="",job="bom"} 1');
    expect(lines).toContain('bom_om{instance="",job="bom_om"} 2');
    expect(lines.filter((l) => l.includes('\ufeff'))).toEqual([]);
    // Only a leading mark: one further on is a character like any other, here in a metric name.
    const refused = await request(gw.url)
      .put('/metrics/job/bom2')
      .send(Buffer.concat([Buffer.from('a 1\n'), bom, Buffer.from('b 2\n')]));
    expect(refused.status).toBe(400);
  });

  it('refuses a grouping key that would expose the same series as another group', async () => {
    await request(gw.url).put('/metrics/job/ei').send('ei_metric 1\n').expect(200);
    const res = await request(gw.url).put('/metrics/job/ei/instance@base64/=').send('ei_metric 2\n').expect(400);
    expect(res.text).toMatch(/exposes the same labels/);
    expect(await scrape()).toEqual(expect.arrayContaining(['ei_metric{instance="",job="ei"} 1']));
    expect((await scrape()).filter((l) => l.startsWith('push_time_seconds{') && l.includes('job="ei"'))).toHaveLength(1);
  });

  it('refuses body labels that recreate a series another group already exposes, in both directions', async () => {
    await request(gw.url).put('/metrics/job/sc/x/1').send('sc_metric 1\n').expect(200);
    const res = await request(gw.url).put('/metrics/job/sc').send('sc_metric{x="1"} 2\nsc_metric{x="2"} 3\n').expect(400);
    expect(res.text).toMatch(/sc_metric\{instance="",job="sc",x="1"\} is already exposed by group/);
    await request(gw.url).put('/metrics/job/sc2').send('sc_other{x="1"} 2\n').expect(200);
    await request(gw.url).put('/metrics/job/sc2/x/1').send('sc_other 1\n').expect(400);
    await request(gw.url).put('/metrics/job/sc2/x/1').send('sc_unrelated 1\n').expect(200);
    expect((await scrape()).filter((l) => l.startsWith('sc_'))).toEqual([
      'sc_metric{instance="",job="sc",x="1"} 1',
      'sc_other{instance="",job="sc2",x="1"} 2',
      'sc_unrelated{instance="",job="sc2",x="1"} 1',
    ]);
  });

  it('lands a push whose possible conflict turns out harmless (checked again under locks), with its history', async () => {
    // The one-statement push sees that group {job="fp",x="1"} holds a family of the pushed name
    // and hands the context back; the check finds no identical series, so the push is redone as a
    // locked transaction. Both paths must store the push and record its history.
    await request(gw.url).put('/metrics/job/fp/x/1').send('fp_metric{y="2"} 1\n').expect(200);
    await request(gw.url).put('/metrics/job/fp').send('fp_metric{x="1"} 2\n').expect(200);
    expect((await scrape()).filter((l) => l.startsWith('fp_'))).toEqual([
      'fp_metric{instance="",job="fp",x="1"} 2',
      'fp_metric{instance="",job="fp",x="1",y="2"} 1',
    ]);
    const res = await request(gw.url).get('/api/v1/query').query({ query: 'fp_metric' }).expect(200);
    const series = (res.body.data.result as { metric: Record<string, string>; value: [number, string] }[])
      .map((r) => `${JSON.stringify(r.metric)} ${r.value[1]}`)
      .sort();
    expect(series).toEqual(['{"__name__":"fp_metric","job":"fp","x":"1","y":"2"} 1', '{"__name__":"fp_metric","job":"fp","x":"1"} 2']);
  });

  it('records push_failure_time_seconds for a rejected push to an existing group and keeps its data', async () => {
    await request(gw.url).put('/metrics/job/fail').send('# TYPE fm gauge\nfm 1\n').expect(200);
    await request(gw.url).put('/metrics/job/other').send('# TYPE fm2 counter\nfm2 1\n').expect(200);
    await request(gw.url).post('/metrics/job/fail').send('# TYPE fm2 gauge\nfm2 5\n').expect(400);
    const lines = await scrape();
    expect(lines).toContain('fm{instance="",job="fail"} 1');
    expect(lines.some((l) => /^push_failure_time_seconds\{instance="",job="fail"\} 1\.\d+e\+09$/.test(l))).toBe(true);
    const [group] = (await request(gw.url).get('/api/v1/metrics').expect(200)).body.data.filter(
      (g: { labels: Record<string, string> }) => g.labels.job === 'fail',
    );
    expect(group.last_push_successful).toBe(false);
  });
});
