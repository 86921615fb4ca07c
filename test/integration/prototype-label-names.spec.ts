import request from 'supertest';
import { useGateway } from '../support/gateway';
import { pushedLines } from '../support/scrape';

/**
 * Label names that are also members of JavaScript's Object.prototype (`constructor`, `toString`,
 * `valueOf`, ...) are valid Prometheus label names and must behave like any other. Looked up as
 * `labels[name]` or `name in labels` they found the prototype's functions instead: a push lost
 * such labels (sanitising took them for grouping labels), `sum by (constructor)` and
 * `label_replace` over them answered 500, and `/api/v1/label/constructor/values` could list a
 * function. Every lookup now reads own properties only (labelValue, src/core/model/labels.ts).
 */
describe('label names shared with Object.prototype', () => {
  const gw = useGateway();
  const query = async (q: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> => {
    const res = await request(gw.url).get('/api/v1/query').query({ query: q }).expect(200);
    expect(res.body.status).toBe('success');
    return res.body.data.result;
  };

  beforeAll(async () => {
    await request(gw.url)
      .put('/metrics/job/proto')
      .send('p_plain{a="1"} 1\np_named{constructor="c",toString="t",valueOf="v"} 2\np_named{constructor="d",toString="t",valueOf="v"} 3\n')
      .expect(200);
    await request(gw.url)
      .put('/metrics/job/proto_ex')
      .set('Content-Type', 'application/openmetrics-text; version=1.0.0; charset=utf-8')
      .send('# TYPE p_ex counter\np_ex_total{toString="t"} 1 # {trace_id="x1"} 1 1700000000.5\n# EOF\n')
      .expect(200);
  });

  it('are kept by a push and shown by the scrape', async () => {
    const lines = pushedLines((await request(gw.url).get('/metrics').expect(200)).text);
    expect(lines).toEqual(
      expect.arrayContaining([
        'p_named{constructor="c",instance="",job="proto",toString="t",valueOf="v"} 2',
        'p_named{constructor="d",instance="",job="proto",toString="t",valueOf="v"} 3',
        'p_plain{a="1",instance="",job="proto"} 1',
      ]),
    );
  });

  it('match, group, join and relabel in PromQL as any label does', async () => {
    expect((await query('p_named{constructor="c"}')).map((r) => r.value[1])).toEqual(['2']);
    expect((await query('p_plain{constructor=""}')).map((r) => r.metric.a)).toEqual(['1']);
    expect(await query('count(p_plain{toString!=""})')).toEqual([]);
    const byConstructor = await query('sum by (constructor) (p_named)');
    expect(byConstructor.map((r) => [r.metric, r.value[1]]).sort()).toEqual([
      [{ constructor: 'c' }, '2'],
      [{ constructor: 'd' }, '3'],
    ]);
    expect((await query('sum by (valueOf) (p_plain)')).map((r) => [r.metric, r.value[1]])).toEqual([[{}, '1']]);
    const replaced = await query('label_replace(p_named{constructor="c"}, "copy", "$1", "constructor", "(.*)")');
    expect(replaced.map((r) => r.metric.copy)).toEqual(['c']);
    expect((await query('label_replace(p_plain, "copy", "$1", "toString", "(.*)")')).map((r) => r.metric.copy)).toEqual([undefined]);
    expect((await query('label_join(p_plain, "joined", "-", "a", "hasOwnProperty")')).map((r) => r.metric.joined)).toEqual(['1-']);
    const joined = await query('p_named * on (constructor) group_left (valueOf) p_named');
    expect(joined.map((r) => r.metric.constructor).sort()).toEqual(['c', 'd']);
  });

  it('can be created by PromQL, __proto__ included', async () => {
    const replaced = await query('label_replace(p_plain, "__proto__", "x", "", "")');
    // A `__proto__` key in an object literal would set the prototype: the expectations are parsed JSON.
    expect(replaced.map((r) => r.metric)).toEqual([JSON.parse('{"__name__":"p_plain","__proto__":"x","a":"1","job":"proto"}')]);
    expect((await query('count_values("__proto__", p_plain)')).map((r) => r.metric)).toEqual([JSON.parse('{"__proto__":"1"}')]);
    expect((await query('label_join(p_plain, "__proto__", "-", "a", "job")')).map((r) => r.metric.__proto__)).toEqual(['1-proto']);
  });

  it('list their own values only, and none for a name no series has', async () => {
    const values = async (name: string): Promise<string[]> => (await request(gw.url).get(`/api/v1/label/${name}/values`).expect(200)).body.data;
    expect(await values('constructor')).toEqual(['c', 'd']);
    expect(await values('isPrototypeOf')).toEqual([]);
    const series = await request(gw.url).get('/api/v1/series').query({ 'match[]': 'p_named{toString="t"}' }).expect(200);
    expect(series.body.data).toHaveLength(2);
  });

  it('select exemplars', async () => {
    const res = await request(gw.url)
      .get('/api/v1/query_exemplars')
      .query({ query: 'p_ex_total{toString="t"}', start: '1699999999', end: '1700000001' })
      .expect(200);
    expect(res.body.data).toHaveLength(1);
    expect(res.body.data[0].exemplars.map((e: { labels: Record<string, string> }) => e.labels.trace_id)).toEqual(['x1']);
  });
});
