import { Client } from 'pg';
import { compileMatcher } from '../../src/core/promql/matchers';
import type { LabelMatcher } from '../../src/core/promql/series-source';
import { toDbText } from '../../src/storage/db-text';
import { matchersToSql } from '../../src/storage/history-matchers';
import { createTestDatabase, GatewayProcess, startProcess, TestDatabase } from '../support/gateway';
import { probeDuring } from '../support/loop-probe';
import { itWhen, serverUrl } from '../support/test-env';

/**
 * Hostile regexes (issue 10). PromQL regexes run on a linear-time engine (re2js, RE2 semantics),
 * never on V8's backtracking engine nor PostgreSQL's, so a pathological pattern on a long label
 * value neither takes long nor stalls the process: before, `(a+)+b` on a 28-character value
 * blocked every request, `/-/healthy` included, for seconds, and on 10,000 characters for ever.
 *
 * The gateway runs as its own process (`npm run build` first; jest's global setup does it), so
 * that a stall is measured from outside and fails the test instead of freezing it. A prober
 * process times `/-/healthy` while the query runs, against idle probes of the same process: a
 * ratio with a floor, no absolute timing.
 */

// Near the longest value a stored series can have (its labels take at most 2,400 bytes in all).
const LONG_A = 'a'.repeat(2300);
/** The reproduction: one push to this job, then `{job!~"(a+)+b"}`. */
const REDOS_JOB = `${'a'.repeat(27)}c`;

/** Probe latency allowed while a query runs: this many idle medians, but never below the floor. */
const RATIO = 20;
const FLOOR_MS = 500;
/** How long the prober waits for its idle probes and one query (the old engine never answers these). */
const DEADLINE_MS = 20000;

const query = (q: string): string => `/api/v1/query?query=${encodeURIComponent(q)}`;
const series = (match: string): string => `/api/v1/series?${new URLSearchParams({ 'match[]': match }).toString()}`;

/** `label=value,...` of each series in an answer (vector or series list), with long values shortened, sorted. */
function summary(body: unknown): string[] {
  const data = (body as { data: unknown }).data;
  const items = Array.isArray(data)
    ? (data as Record<string, string>[])
    : (data as { result: { metric: Record<string, string> }[] }).result.map((r) => r.metric);
  const short = (v: string): string => (v.length > 40 ? `${v.slice(0, 3)}…${v.length}` : v);
  return items
    .map((m) =>
      Object.keys(m)
        .sort()
        .filter((k) => k !== '__name__' && k !== 'job')
        .map((k) => `${k}=${short(m[k])}`)
        .join(','),
    )
    .sort();
}

describe('pathological regexes on a 2,300-character label value', () => {
  jest.setTimeout(180000);
  let db: TestDatabase;
  let gw: GatewayProcess;

  beforeAll(async () => {
    db = await createTestDatabase();
    gw = await startProcess(db);
    const body = [`hostile_m{v="${LONG_A}c"} 1`, `hostile_m{v="${LONG_A}"} 2`, 'hostile_m{v="short"} 3', ''].join('\n');
    for (const [path, text] of [
      ['/metrics/job/hostile', body],
      [`/metrics/job/${REDOS_JOB}`, 'redos_m 1\n'],
    ]) {
      const res = await fetch(`${gw.url}${path}`, { method: 'PUT', body: text });
      expect(res.status).toBe(200);
    }
  });

  afterAll(async () => {
    // SIGKILL: a gateway stuck in a regex (the old engine) would never handle SIGTERM.
    await gw?.stop('SIGKILL');
    await db?.drop();
  });

  it.each([
    ['the issue: 28 characters, negated', query('redos_m{job!~"(a+)+b"}'), ['']],
    ['nested plus', query('hostile_m{v=~"(a+)+b"}'), []],
    ['nested plus, negated', query('hostile_m{v!~"(a+)+b"}'), [`v=aaa…2300`, 'v=aaa…2301', 'v=short']],
    ['overlapping alternation', query('hostile_m{v=~"(a|aa)*c"}'), ['v=aaa…2301']],
    ['counted star group', query('hostile_m{v=~"(.*a){20}"}'), ['v=aaa…2300']],
    ['counted star group, negated', query('hostile_m{v!~"(.*a){20}"}'), ['v=aaa…2301', 'v=short']],
    ['nested stars', query('hostile_m{v=~"(a*)*b"}'), []],
    ['stacked dot stars', query('hostile_m{v=~".*.*.*.*.*.*.*.*c"}'), ['v=aaa…2301']],
    ['triple nesting, case-insensitive', query('hostile_m{v=~"(?i)((A+)+)+B"}'), []],
    ['label_replace captures', query('label_replace(hostile_m, "x", "$2", "v", "(a+)+(c)")'), ['v=aaa…2300', 'v=aaa…2301,x=c', 'v=short']],
    ['series API', series('hostile_m{v=~"(a|aa)*c"}'), ['v=aaa…2301']],
    ['series API, negated', series('hostile_m{v!~"(a+)+b", v!="short"}'), ['v=aaa…2300', 'v=aaa…2301']],
  ])('%s', async (_name, path, expected) => {
    const p = await probeDuring(gw.url, path, DEADLINE_MS);
    const worst = Math.max(...p.duringMs);
    const allowed = Math.max(FLOOR_MS, RATIO * p.idleMedianMs);
    process.stdout.write(
      `${_name}: query ${p.queryMs.toFixed(0)} ms; /-/healthy idle median ${p.idleMedianMs.toFixed(1)} ms, ` +
        `during ${p.duringMs.length} probes, worst ${worst.toFixed(1)} ms (allowed ${allowed.toFixed(0)})\n`,
    );
    expect({ timedOut: p.timedOut, status: p.status }).toEqual({ timedOut: false, status: 200 });
    expect(summary(p.body)).toEqual(expected);
    expect(p.duringMs.length).toBeGreaterThan(0);
    expect(worst).toBeLessThanOrEqual(allowed);
  });
});

/** Values that probe the SQL translation: newline, the db-text escape and what it encodes, LIKE's metacharacters. */
const ALPHABET = ['a', 'b', 'ab', '0', '\n', '\u0000', '\ufdd0', '%', '_', '\\', '.', '😀', 'é'];

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('regex matchers pushed down to PostgreSQL', () => {
  let db: TestDatabase;
  let client: Client;

  beforeAll(async () => {
    if (serverUrl() === undefined) {
      return;
    }
    db = await createTestDatabase();
    client = new Client({ connectionString: db.url });
    await client.connect();
  });

  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  itWhen(serverUrl() !== undefined, 'needs a PostgreSQL server (a direct connection to the test database)')(
    'select exactly what the JavaScript matcher selects, or a superset it re-checks, without PostgreSQL regexes',
    async () => {
      const r = rng(7);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
      const word = (max: number): string => Array.from({ length: Math.floor(r() * (max + 1)) }, () => pick(ALPHABET)).join('');
      const escape = (s: string): string => s.replace(/[\\.+*?()|[\]{}^$]/g, (c) => `\\${c}`);
      const values = [...new Set(['', '\n', ...Array.from({ length: 120 }, () => word(4))])];
      // The stored form: db-text labels (no empty values) and names.
      const rows = JSON.stringify(values.map((v, i) => ({ i, name: toDbText(v === '' ? '-' : v), labels: v === '' ? {} : { v: toDbText(v) } })));
      const shapes = [
        () => escape(word(3)),
        () => `${escape(word(2))}|${escape(word(2))}`,
        () => `(${escape(word(2))}|${escape(word(2))})`,
        () => '.*',
        () => '.+',
        () => `${escape(word(2))}.*`,
        () => `.*${escape(word(2))}`,
        () => `.*(?:${escape(word(2))}|${escape(word(1))}).*`,
        () => `${escape(word(2))}[ab]+.*`,
        () => `${escape(word(2))}b*`,
        () => `(?s)${escape(word(2))}.*`,
        () => `(a+)+${escape(word(1))}`,
      ];
      const failures: string[] = [];
      let pushed = 0;
      for (let n = 0; n < 400; n++) {
        const m: LabelMatcher = { type: pick(['=~', '!~'] as const), name: pick(['v', '__name__']), value: pick(shapes)() };
        const params: unknown[] = [rows];
        const { conditions, residual } = matchersToSql([m], params);
        if (conditions.some((c) => /\s~\*?\s/.test(c))) {
          failures.push(`${JSON.stringify(m)} uses a PostgreSQL regex: ${conditions.join(' AND ')}`);
        }
        pushed += conditions.length > 0 ? 1 : 0;
        const sql = `SELECT s.i FROM jsonb_to_recordset($1::jsonb) AS s(i int, name text, labels jsonb) WHERE ${conditions.join(' AND ') || 'true'}`;
        const selected = new Set((await client.query<{ i: number }>(sql, params)).rows.map((row) => row.i));
        const test = compileMatcher(m);
        const exact = values.map((v, i) => [i, v] as const).filter(([, v]) => test(m.name === '__name__' && v === '' ? '-' : v));
        const missing = exact.filter(([i]) => !selected.has(i)).map(([, v]) => v);
        const extra = residual.length === 0 ? [...selected].filter((i) => !exact.some(([j]) => j === i)).map((i) => values[i]) : [];
        if (missing.length > 0 || extra.length > 0) {
          failures.push(`${JSON.stringify(m)}: missing ${JSON.stringify(missing)}, extra ${JSON.stringify(extra)} (${conditions.join(' AND ')})`);
        }
      }
      expect(failures.slice(0, 5)).toEqual([]);
      expect(pushed).toBeGreaterThan(200);
    },
  );
});
