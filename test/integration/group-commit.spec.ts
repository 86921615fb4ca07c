import request from 'supertest';
import { useGateway } from '../support/gateway';
import { pushedLines } from '../support/scrape';
import { Database } from 'src/storage/database';
import { DATABASE } from 'src/storage/storage.tokens';

/**
 * Group commit (issue 14) over HTTP on a real database: concurrent pushes to different groups share
 * one statement (pgw_push_batch) and one commit, each answered after its own rows are committed; a
 * push that fails, fails alone. A 50 ms batching window makes every burst below one batch.
 */
describe('group commit of concurrent pushes', () => {
  const gw = useGateway({ ADMIN_API_ENABLED: 'true', PUSH_BATCH_WINDOW_US: '50000', PUSH_BATCH_MAX: '64' });
  /** Names of the push statements run since the last reset (a spy on Database.named; it still runs them). */
  let statements: string[] = [];

  beforeAll(() => {
    const db = gw.app.get<Database>(DATABASE);
    const named = db.named.bind(db);
    db.named = (name, sql, params) => {
      statements.push(name);
      return named(name, sql, params);
    };
  });

  beforeEach(async () => {
    await request(gw.url).put('/api/v1/admin/wipe').expect(202);
    statements = [];
  });

  const scrape = async (): Promise<string[]> => pushedLines((await request(gw.url).get('/metrics').expect(200)).text);
  const body = (i: number): string => `# TYPE gc_gauge gauge\ngc_gauge{k="v"} ${i}\n# TYPE gc_events_total counter\ngc_events_total ${i * 2}\n`;
  const put = (path: string, text: string) => request(gw.url).put(path).send(text);

  it('commits every one of 64 concurrent pushes in a few statements, each visible once answered', async () => {
    const answers = await Promise.all(Array.from({ length: 64 }, (_, i) => put(`/metrics/job/gc/instance/i${i}`, body(i))));
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    const lines = await scrape();
    for (let i = 0; i < 64; i++) {
      expect(lines).toContain(`gc_gauge{instance="i${i}",job="gc",k="v"} ${i}`);
      expect(lines).toContain(`gc_events_total{instance="i${i}",job="gc"} ${i * 2}`);
    }
    expect(statements).toContain('pgw_push_batch');
    expect(statements.length).toBeLessThan(16);
  });

  it('fails a push the consistency check refuses by itself, with its 400, and stores the rest of its batch', async () => {
    await put('/metrics/job/gc/instance/owner', '# TYPE gc_shared counter\ngc_shared 1\n').expect(200);
    statements = [];
    const bad = put('/metrics/job/gc/instance/bad', '# TYPE gc_shared gauge\ngc_shared 2\n');
    const good = Array.from({ length: 10 }, (_, i) => put(`/metrics/job/gc/instance/g${i}`, body(i)));
    const [badAnswer, ...goodAnswers] = await Promise.all([bad, ...good]);
    expect(badAnswer.status).toBe(400);
    expect(badAnswer.text).toContain('gc_shared');
    expect(goodAnswers.map((a) => a.status)).toEqual(goodAnswers.map(() => 200));
    expect(statements[0]).toBe('pgw_push_batch');
    const lines = await scrape();
    for (let i = 0; i < 10; i++) {
      expect(lines).toContain(`gc_gauge{instance="g${i}",job="gc",k="v"} ${i}`);
    }
    expect(lines.filter((l) => l.startsWith('gc_shared{'))).toEqual(['gc_shared{instance="owner",job="gc"} 1']);
    const failure = lines.find((l) => l.startsWith('push_failure_time_seconds{instance="bad",job="gc"}'));
    expect(Number(failure?.split(' ')[1])).toBeGreaterThan(0);
  });

  it('fails a push whose grouping key collides by itself, with its 400, after its batch rolled back; the rest is stored', async () => {
    await put('/metrics/job/gc_coll', 'gc_first 1\n').expect(200);
    statements = [];
    // {job="gc_coll",instance=""} exposes the same labels as {job="gc_coll"}: a unique violation inside the batch.
    const bad = put('/metrics/job/gc_coll/instance@base64/=', 'gc_second 2\n');
    const good = Array.from({ length: 10 }, (_, i) => put(`/metrics/job/gc/instance/c${i}`, body(i)));
    const [badAnswer, ...goodAnswers] = await Promise.all([bad, ...good]);
    expect(badAnswer.status).toBe(400);
    expect(badAnswer.text).toContain('exposes the same labels');
    expect(goodAnswers.map((a) => a.status)).toEqual(goodAnswers.map(() => 200));
    // The batch failed as a whole; then every push ran alone.
    expect(statements[0]).toBe('pgw_push_batch');
    expect(statements.filter((s) => s === 'pgw_push_probe').length).toBeGreaterThanOrEqual(11);
    const lines = await scrape();
    for (let i = 0; i < 10; i++) {
      expect(lines).toContain(`gc_gauge{instance="c${i}",job="gc",k="v"} ${i}`);
    }
    expect(lines).toContain('gc_first{instance="",job="gc_coll"} 1');
    expect(lines.some((l) => l.startsWith('gc_second'))).toBe(false);
  });

  it('never batches two pushes to one group: PUT then POST of one burst both apply, in some order, as wholes', async () => {
    const answers = await Promise.all([
      put('/metrics/job/gc_same', 'gc_a 1\ngc_b 1\n'),
      request(gw.url).post('/metrics/job/gc_same').send('gc_b 2\n'),
      put('/metrics/job/gc_other', 'gc_c 3\n'),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    const lines = (await scrape()).filter((l) => /^gc_[abc]\{/.test(l));
    // PUT first: a=1, b=2 (the POST replaced b). POST first: the PUT replaced everything: a=1, b=1.
    expect([
      ['gc_a{instance="",job="gc_same"} 1', 'gc_b{instance="",job="gc_same"} 2', 'gc_c{instance="",job="gc_other"} 3'],
      ['gc_a{instance="",job="gc_same"} 1', 'gc_b{instance="",job="gc_same"} 1', 'gc_c{instance="",job="gc_other"} 3'],
    ]).toContainEqual(lines);
    expect(statements.filter((s) => s.startsWith('pgw_push')).length).toBeGreaterThanOrEqual(2);
  });
});
