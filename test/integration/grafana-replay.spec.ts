import request from 'supertest';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createTestDatabase, InProcessGateway, startInProcess, TestDatabase } from '../support/gateway';

/** One golden request of test/fixtures/grafana/*.json (see the README there). */
interface FixtureRequest {
  name: string;
  grafana: string;
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  contentType?: string;
  expect: {
    status: number;
    shape: 'scalar' | 'vector' | 'matrix' | 'strings' | 'series' | 'metadata' | 'rules' | 'buildinfo' | 'exemplars' | 'error';
    nonEmpty?: boolean;
    contains?: string[];
    errorType?: string;
    exact?: string;
  };
}

interface Fixture {
  description: string;
  source: string;
  requests: FixtureRequest[];
}

const DIR = path.resolve(__dirname, '../fixtures/grafana');
const FIXTURES: [string, Fixture][] = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => [f, JSON.parse(readFileSync(path.join(DIR, f), 'utf8')) as Fixture]);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Placeholder values at replay time, computed the way Grafana computes them (research §3.3, §4, §6). */
function placeholders(nowMs: number): Record<string, string> {
  const now = Math.floor(nowMs / 1000);
  const floorTo = (t: number, step: number): number => Math.floor(t / step) * step;
  return {
    now: String(now),
    nowFrac: String(nowMs / 1000),
    nowMs: String(nowMs),
    'now-30mMs': String(nowMs - 1800_000),
    'now-1h': String(now - 3600),
    snapStart: String(floorTo(now - 3600, 60)),
    snapEnd: String(floorTo(now, 60) + 60),
    start15: String(floorTo(now - 3600, 15)),
    end15: String(floorTo(now, 15)),
    start1: String(now - 300),
    end1: String(now),
  };
}

function fill(text: string, values: Record<string, string>): string {
  return text.replace(/\{\{([^}]+)\}\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) {
      throw new Error(`unknown placeholder {{${key}}}`);
    }
    return value;
  });
}

const isStringMap = (x: unknown): boolean => typeof x === 'object' && x !== null && !Array.isArray(x) && Object.values(x).every((v) => typeof v === 'string');
const isPair = (x: unknown): boolean => Array.isArray(x) && x.length === 2 && typeof x[0] === 'number' && typeof x[1] === 'string';

/** Checks the response against Grafana's needs (research §5); returns the problems found. */
function shapeProblems(req: FixtureRequest, status: number, text: string): string[] {
  const problems: string[] = [];
  const e = req.expect;
  if (status !== e.status) {
    problems.push(`status ${status}, expected ${e.status}: ${text.slice(0, 300)}`);
    return problems;
  }
  if (e.exact !== undefined && text !== e.exact) {
    problems.push(`body ${text}, expected exactly ${e.exact}`);
  }
  const body = JSON.parse(text) as { status: string; data?: unknown; errorType?: string; error?: string; warnings?: unknown };
  if (e.shape === 'error') {
    if (body.status !== 'error' || typeof body.error !== 'string' || (e.errorType !== undefined && body.errorType !== e.errorType)) {
      problems.push(`not a ${e.errorType ?? ''} error envelope: ${text.slice(0, 300)}`);
    }
    return problems;
  }
  if (body.status !== 'success') {
    problems.push(`status ${body.status}: ${text.slice(0, 300)}`);
    return problems;
  }
  if (body.warnings !== undefined && !(Array.isArray(body.warnings) && body.warnings.every((w) => typeof w === 'string'))) {
    problems.push('warnings must be an array of strings');
  }
  const data = body.data as Record<string, unknown> & unknown[];
  let items: unknown[] = [];
  switch (e.shape) {
    case 'scalar':
    case 'vector':
    case 'matrix': {
      if (data.resultType !== e.shape) {
        problems.push(`resultType ${String(data.resultType)}, expected ${e.shape}`);
      }
      if (text.indexOf('"resultType"') > text.indexOf('"result"')) {
        problems.push('resultType must come before result (Grafana 10.0/10.1 decoder)');
      }
      if (e.shape === 'scalar') {
        items = isPair(data.result) ? [data.result] : (problems.push('scalar result must be [number, "string"]'), []);
        break;
      }
      items = data.result as unknown[];
      const ok = items.every((s) => {
        const x = s as { metric: unknown; value?: unknown; values?: unknown[] };
        return isStringMap(x.metric) && (e.shape === 'vector' ? isPair(x.value) : Array.isArray(x.values) && x.values.every(isPair));
      });
      if (!ok) {
        problems.push(`malformed ${e.shape} items: ${text.slice(0, 300)}`);
      }
      break;
    }
    case 'strings':
      items = Array.isArray(data) && data.every((x) => typeof x === 'string') ? data : (problems.push('data must be an array of strings'), []);
      for (const c of e.contains ?? []) {
        if (!items.includes(c)) {
          problems.push(`missing ${c} in ${JSON.stringify(items).slice(0, 300)}`);
        }
      }
      break;
    case 'series':
      items = Array.isArray(data) && data.every(isStringMap) ? data : (problems.push('data must be an array of label maps'), []);
      break;
    case 'metadata':
      items = Object.values(data);
      if (
        !items.every((l) => Array.isArray(l) && l.every((m) => ['type', 'help', 'unit'].every((k) => typeof (m as Record<string, unknown>)[k] === 'string')))
      ) {
        problems.push('metadata must map names to [{type, help, unit}]');
      }
      break;
    case 'rules':
      if (!Array.isArray((data as unknown as { groups: unknown }).groups)) {
        problems.push('rules need data.groups');
      }
      break;
    case 'buildinfo':
      if (!/^\d+\.\d+\.\d+/.test(String(data.version)) || 'features' in data || !isStringMap(data)) {
        problems.push(`buildinfo needs a semver version, string values and no features: ${text}`);
      }
      break;
    case 'exemplars':
      if (!Array.isArray(data)) {
        problems.push('exemplars data must be an array');
      }
      break;
  }
  if (e.nonEmpty && items.length === 0) {
    problems.push(`expected a non-empty result: ${text.slice(0, 300)}`);
  }
  return problems;
}

describe('Grafana request sequences replayed from fixtures', () => {
  let db: TestDatabase;
  let gw: InProcessGateway;

  beforeAll(async () => {
    db = await createTestDatabase();
    gw = await startInProcess(db);
    const series = (n: number): string =>
      [
        '# TYPE http_requests_total counter',
        `http_requests_total{code="200"} ${100 * n}`,
        `http_requests_total{code="500"} ${3 * n}`,
        '# TYPE http_request_duration_seconds histogram',
        `http_request_duration_seconds_bucket{le="0.1"} ${10 * n}`,
        `http_request_duration_seconds_bucket{le="0.5"} ${18 * n}`,
        `http_request_duration_seconds_bucket{le="+Inf"} ${20 * n}`,
        `http_request_duration_seconds_sum ${4 * n}`,
        `http_request_duration_seconds_count ${20 * n}`,
        '',
      ].join('\n');
    for (let n = 1; n <= 3; n++) {
      await request(gw.url).put('/metrics/job/api/instance/host-1').send(series(n)).expect(200);
      await request(gw.url)
        .put('/metrics/job/worker/instance/host-2')
        .send(`# HELP queue_depth Items waiting.\n# TYPE queue_depth gauge\nqueue_depth ${n % 2}\n`)
        .expect(200);
      await sleep(150);
    }
    // Backend range queries end at a floored step boundary: let one pass after the pushes.
    await sleep(1100);
  });
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  describe.each(FIXTURES)('%s', (_file, fixture) => {
    it.each(fixture.requests.map((r) => [`${r.method} ${r.name} (Grafana ${r.grafana})`, r] as const))('%s', async (_label, req) => {
      const values = placeholders(Date.now());
      const url = fill(req.path, values);
      const res =
        req.method === 'GET'
          ? await request(gw.url).get(url)
          : await request(gw.url)
              .post(url)
              .set('Content-Type', req.contentType ?? 'application/x-www-form-urlencoded')
              .send(fill(req.body ?? '', values));
      expect(shapeProblems(req, res.status, res.text)).toEqual([]);
    });
  });

  it('covers every UI action the research lists', () => {
    expect(FIXTURES.map(([f]) => f)).toEqual([
      'autocomplete.json',
      'editor-start.json',
      'explore-both.json',
      'explore-open.json',
      'metrics-browser.json',
      'save-and-test.json',
      'variables.json',
    ]);
  });
});
