import { createHmac } from 'node:crypto';
import { Client } from 'pg';
import type { QueryRunner } from 'typeorm';
import { EscapeStoredText1795700000000 } from '../../migrations/1795700000000-EscapeStoredText';
import { encodeProtobufDelimited, parseProtobufDelimited } from '../../src/core/exposition/protobuf-delimited';
import { family, gauge } from '../../src/core/exposition/testdata/factories';
import { compareStrings } from '../../src/core/model/labels';
import { MetricFamily, MetricType } from '../../src/core/model/metric-family';
import { seriesKey } from '../../src/storage/history-flatten';
import { comparableScrape } from '../support/exposition-compare';
import { createTestDatabase, InProcessGateway, startInProcess, useGateway } from '../support/gateway';
import { itWhen, serverUrl } from '../support/test-env';
import { findUpstreamBinary, send, startUpstream, Step, UpstreamGateway } from '../support/upstream';

/**
 * Every valid UTF-8 string round-trips, U+0000 included (DESIGN §5c), and so does the character
 * the storage uses to escape it (U+FDD0, see src/storage/db-text.ts), in every position a client
 * controls: grouping values (escaped and @base64), text and protobuf label values, HELP texts, and
 * query matchers; read back through the text and protobuf scrape, the JSON API and the query API
 * (current values, the sample history, series, label values). Upstream answers the same pushes
 * with the same scrape.
 */

const ESC = '\uFDD0';
const PB = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';
const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64url');
/** The text-format spelling of a label value (only `\`, `"` and newline are escaped). */
const quoted = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

/** Label values that must stay apart: U+0000, the escape character, its encoded spelling of U+0000, and the six characters `\u0000`. */
const VALUES: Array<[string, number]> = [
  ['\u0000', 1],
  [ESC, 2],
  [`${ESC}0`, 3],
  ['\\u0000', 4],
  [`a\u0000b${ESC}c`, 5],
];

function steps(): Step[] {
  const text =
    `# HELP nul_text help with U+0000 \u0000 and the escape ${ESC} and ${ESC}0\n# TYPE nul_text gauge\n` +
    VALUES.map(([v, n]) => `nul_text{v=${quoted(v)}} ${n}\n`).join('');
  const proto = encodeProtobufDelimited([
    family('nul_proto', MetricType.GAUGE, [gauge(7, { v: '\u0000' }), gauge(8, { v: `${ESC}0` })], `protobuf help \u0000 ${ESC}`),
  ]);
  return [
    { method: 'PUT', path: '/metrics/job/%00/a/x%00y', body: 'nul_path 1\n' },
    { method: 'PUT', path: `/metrics/job@base64/${b64('\u0000')}/b@base64/${b64(`${ESC}0`)}`, body: 'nul_b64 2\n' },
    { method: 'PUT', path: `/metrics/job/text/e/${encodeURIComponent(ESC)}`, body: text },
    { method: 'PUT', path: '/metrics/job/proto', body: proto, headers: { 'Content-Type': PB } },
    // Without U+0000, so that the migration's down (which cannot store U+0000) is lossless.
    { method: 'PUT', path: `/metrics/job/migr/e/${encodeURIComponent(ESC)}`, body: `# HELP nul_migr help ${ESC}\nnul_migr{v="${ESC}0"} 1\n` },
  ];
}

/** The pushed families of a scrape whose names start with `nul_` or are the push times. */
function ofInterest(lines: string[]): string[] {
  return lines.filter((l) => /^(# (HELP|TYPE) )?(nul_|push_time_seconds|push_failure_time_seconds)/.test(l));
}

async function json<T>(url: string): Promise<T> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

interface VectorAnswer {
  data: { result: Array<{ metric: Record<string, string>; value?: [number, string]; values?: Array<[number, string]> }> };
}

describe('U+0000 and the storage escape character round-trip', () => {
  const gw = useGateway();
  const upstreamBinary = findUpstreamBinary();
  let upstream: UpstreamGateway | undefined;

  beforeAll(async () => {
    for (const step of steps()) {
      const res = await send(gw.url, step);
      expect([step.path, res.status, res.text]).toEqual([step.path, 200, '']);
    }
    if (upstreamBinary !== undefined) {
      upstream = await startUpstream(upstreamBinary);
      for (const step of steps()) {
        expect((await send(upstream.url, step)).status).toBe(200);
      }
    }
  });
  afterAll(async () => {
    await upstream?.stop();
  });

  it('text scrape shows every string as pushed', async () => {
    const body = await (await fetch(`${gw.url}/metrics`)).text();
    const lines = body.split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        'nul_path{a="x\u0000y",instance="",job="\u0000"} 1',
        `nul_b64{b="${ESC}0",instance="",job="\u0000"} 2`,
        `# HELP nul_text help with U+0000 \u0000 and the escape ${ESC} and ${ESC}0`,
        ...VALUES.map(([v, n]) => `nul_text{e="${ESC}",instance="",job="text",v=${quoted(v)}} ${n}`),
        `# HELP nul_proto protobuf help \u0000 ${ESC}`,
        'nul_proto{instance="",job="proto",v="\u0000"} 7',
        `nul_proto{instance="",job="proto",v="${ESC}0"} 8`,
      ]),
    );
  });

  itWhen(upstreamBinary !== undefined, 'upstream prometheus-pushgateway is not installed')('text scrape equals upstream for the same pushes', async () => {
    const ours = ofInterest(comparableScrape(await (await fetch(`${gw.url}/metrics`)).text()));
    const theirs = ofInterest(comparableScrape(await (await fetch(`${upstream!.url}/metrics`)).text()));
    expect(ours.length).toBeGreaterThan(10);
    expect(ours).toEqual(theirs);
  });

  it('protobuf scrape carries the same labels and HELP', async () => {
    const res = await fetch(`${gw.url}/metrics`, { headers: { Accept: PB } });
    const families = parseProtobufDelimited(Buffer.from(await res.arrayBuffer()));
    const byName = new Map<string, MetricFamily>(families.map((f) => [f.name, f]));
    const labelsOf = (name: string): Array<Record<string, string>> =>
      (byName.get(name)?.metric ?? []).map((m) => Object.fromEntries(m.label.map((l) => [l.name, l.value])));
    expect(labelsOf('nul_path')).toEqual([{ a: 'x\u0000y', instance: '', job: '\u0000' }]);
    expect(byName.get('nul_proto')?.help).toBe(`protobuf help \u0000 ${ESC}`);
    expect(labelsOf('nul_text').map((l) => l.v)).toEqual(expect.arrayContaining(VALUES.map(([v]) => v)));
    expect(byName.get('nul_text')?.help).toBe(`help with U+0000 \u0000 and the escape ${ESC} and ${ESC}0`);
  });

  it('JSON API lists the groups with their exact labels', async () => {
    const body = await json<{ data: Array<Record<string, unknown> & { labels: Record<string, string> }> }>(`${gw.url}/api/v1/metrics`);
    const labels = body.data.map((g) => g.labels);
    expect(labels).toEqual(
      expect.arrayContaining([
        { job: '\u0000', a: 'x\u0000y' },
        { job: '\u0000', b: `${ESC}0` },
        { job: 'text', e: ESC },
      ]),
    );
    const text = body.data.find((g) => g.labels.job === 'text') as unknown as { nul_text: { help: string } };
    expect(text.nul_text.help).toBe(`help with U+0000 \u0000 and the escape ${ESC} and ${ESC}0`);
  });

  it.each([
    ['equality with U+0000 sent as %00', 'nul_text{v="%00"}', [1]],
    ['equality with U+0000 as a PromQL escape', 'nul_text{v="\\u0000"}', [1]],
    ['equality with U+0000 as a PromQL byte escape', 'nul_text{v="\\x00"}', [1]],
    ['equality with the escape character as PromQL byte escapes', 'nul_text{v="\\xef\\xb7\\x90"}', [2]],
    ['equality with the escape character', `nul_text{v="${ESC}"}`, [2]],
    ['equality with the escape character and 0', `nul_text{v="${ESC}0"}`, [3]],
    ['equality with the six characters \\u0000', 'nul_text{v="\\\\u0000"}', [4]],
    ['equality on a grouping value with U+0000', 'nul_path{job="%00",a="x%00y"}', [1]],
    ['equality on the escape character as a grouping value', `nul_text{e="${ESC}",v="a%00b${ESC}c"}`, [5]],
    ['inequality', 'nul_text{v!="%00"}', [2, 3, 4, 5]],
    ['literal alternation with U+0000', 'nul_text{v=~"%00|zz"}', [1]],
    ['regex pushed to SQL as a prefilter', 'nul_text{v=~".*0"}', [3, 4]],
    ['regex with a class', 'nul_text{v=~"a.b[^x]c"}', [5]],
    ['regex of one character', 'nul_text{v=~"."}', [1, 2]],
    ['negated regex', 'nul_text{v!~"."}', [3, 4, 5]],
    ['regex with U+0000 in the pattern', 'nul_text{v=~"a%00b.*"}', [5]],
  ])('query: %s', async (_name, query, expected) => {
    const body = await json<VectorAnswer>(`${gw.url}/api/v1/query?query=${encodeURIComponent(decodeURIComponent(query))}`);
    expect(body.data.result.map((r) => Number(r.value?.[1])).sort((a, b) => a - b)).toEqual(expected);
  });

  it('query_range reads the sample history of such series', async () => {
    const now = Date.now() / 1000;
    const q = new URLSearchParams({ query: 'nul_text{v="\\u0000"}', start: String(now - 60), end: String(now + 1), step: '1' });
    const body = await json<VectorAnswer>(`${gw.url}/api/v1/query_range?${q}`);
    expect(body.data.result.map((r) => r.metric)).toEqual([{ __name__: 'nul_text', e: ESC, job: 'text', v: '\u0000' }]);
    expect(body.data.result[0].values?.length).toBeGreaterThan(0);
    expect(body.data.result[0].values?.every(([, v]) => v === '1')).toBe(true);
  });

  it('series and label values return the exact strings, in order', async () => {
    const series = await json<{ data: Array<Record<string, string>> }>(`${gw.url}/api/v1/series?${new URLSearchParams({ 'match[]': 'nul_text{v=~".+"}' })}`);
    expect(series.data.map((s) => s.v).sort()).toEqual(VALUES.map(([v]) => v).sort());
    // In label-set order, which PostgreSQL's order of the stored (escaped) keys is not here.
    const keys = series.data.map(({ __name__: name, ...labels }) => seriesKey(name, labels));
    expect(keys).toEqual([...keys].sort(compareStrings));
    const values = await json<{ data: string[] }>(`${gw.url}/api/v1/label/v/values`);
    expect(values.data).toEqual(VALUES.map(([v]) => v).sort());
    const jobs = await json<{ data: string[] }>(`${gw.url}/api/v1/label/job/values?${new URLSearchParams({ 'match[]': '{job=~".+"}' })}`);
    expect(jobs.data).toEqual(expect.arrayContaining(['\u0000', 'proto', 'text']));
  });

  it('deletes a group whose job is U+0000', async () => {
    expect((await fetch(`${gw.url}/metrics/job/%00/a/x%00y`, { method: 'DELETE' })).status).toBe(202);
    const body = await (await fetch(`${gw.url}/metrics`)).text();
    expect(body).not.toContain('nul_path{');
    expect(body).toContain('nul_b64{');
  });

  itWhen(serverUrl() !== undefined, 'needs a PostgreSQL server (the migration runs on a raw connection)')(
    'EscapeStoredText cannot be reverted while U+0000 is stored',
    async () => {
      await withRunner(gw.db.url!, async (runner) => {
        await expect(new EscapeStoredText1795700000000().down(runner)).rejects.toThrow(/hold U\+0000/);
      });
    },
  );
});

/** A TypeORM QueryRunner stand-in (the migration only calls query) on its own connection. */
async function withRunner(url: string, fn: (runner: QueryRunner, client: Client) => Promise<void>): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await fn({ query: (sql: string) => client.query(sql).then((r) => r.rows) } as unknown as QueryRunner, client);
  } finally {
    await client.end();
  }
}

describe('EscapeStoredText migration', () => {
  itWhen(serverUrl() !== undefined, 'needs a PostgreSQL server (the migration runs on a raw connection)')(
    'a raw escape character stored by an older version reads back unchanged after it',
    async () => {
      const db = await createTestDatabase();
      let gw: InProcessGateway | undefined = await startInProcess(db);
      try {
        const push = steps().at(-1)!;
        expect((await send(gw.url, push)).status).toBe(200);
        const before = ofInterest((await (await fetch(`${gw.url}/metrics`)).text()).split('\n'));
        expect(before).toContain(`nul_migr{e="${ESC}",instance="",job="migr",v="${ESC}0"} 1`);
        await gw.close();
        gw = undefined;
        await withRunner(db.url!, async (runner, client) => {
          const stored = async (): Promise<unknown[]> =>
            (
              await client.query(`
                SELECT g.labels::text AS a, f.help AS b, f.exposition AS c FROM metric_group g JOIN metric_family f ON f.group_id = g.id
                WHERE f.name = 'nul_migr'
                UNION ALL SELECT labels::text, series_key, NULL FROM history_series WHERE name = 'nul_migr' ORDER BY 1, 2`)
            ).rows;
          const encoded = await stored();
          expect(encoded).toHaveLength(2);
          const migration = new EscapeStoredText1795700000000();
          // down: the rows as a version without the encoding wrote them (a single raw U+FDD0).
          await migration.down(runner);
          const raw = JSON.stringify(await stored());
          expect(raw).toContain(ESC);
          expect(raw).not.toContain(`${ESC}${ESC}`);
          await migration.up(runner);
          expect(await stored()).toEqual(encoded);
        });
        gw = await startInProcess(db);
        expect(ofInterest((await (await fetch(`${gw.url}/metrics`)).text()).split('\n'))).toEqual(before);
        const answer = await json<VectorAnswer>(`${gw.url}/api/v1/query?${new URLSearchParams({ query: `nul_migr{e="${ESC}",v="${ESC}0"}` })}`);
        expect(answer.data.result).toHaveLength(1);
      } finally {
        await gw?.close();
        await db.drop();
      }
    },
  );
});

const SECRET = 'nul-roundtrip-secret-0123456789abcdefghijkl';

/** An HS256 token with the test secret. */
function signed(claims: Record<string, unknown>): string {
  const part = (v: unknown): string => Buffer.from(JSON.stringify(v), 'utf8').toString('base64url');
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ exp: Math.floor(Date.now() / 1000) + 3600, ...claims })}`;
  return `${unsigned}.${createHmac('sha256', SECRET).update(unsigned).digest('base64url')}`;
}

describe('token ids and subjects with U+0000 and the escape character', () => {
  const gw = useGateway({ AUTH_JWT_SECRET: SECRET, AUTH_REVOCATION_POLL_MS: '50' });
  const admin = (sub: string): Record<string, string> => ({ authorization: `Bearer ${signed({ jti: 'nul-admin', scope: 'admin read', sub })}` });

  it.each([
    ['U+0000', 'x\u0000y'],
    ['the escape character and 0', `${ESC}0`],
  ])('a token whose jti holds %s can be revoked by that id', async (_name, jti) => {
    const reader = { authorization: `Bearer ${signed({ jti, scope: 'read' })}` };
    expect((await fetch(`${gw.url}/api/v1/metrics`, { headers: reader })).status).toBe(200);
    expect((await fetch(`${gw.url}/api/v1/admin/tokens/${encodeURIComponent(jti)}`, { method: 'DELETE', headers: admin('ops') })).status).toBe(204);
    const deadline = Date.now() + 5000;
    let status = 200;
    while (status === 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      status = (await fetch(`${gw.url}/api/v1/metrics`, { headers: reader })).status;
    }
    expect(status).toBe(401);
  });

  it('an issuer whose subject holds U+0000 is recorded exactly', async () => {
    const sub = `ops\u0000${ESC}`;
    const issued = await fetch(`${gw.url}/api/v1/admin/tokens`, {
      method: 'POST',
      headers: { ...admin(sub), 'content-type': 'application/json' },
      body: JSON.stringify({ scope: 'read' }),
    });
    expect(issued.status).toBe(201);
    const { id } = (await issued.json()) as { id: string };
    const list = (await (await fetch(`${gw.url}/api/v1/admin/tokens`, { headers: admin('ops') })).json()) as {
      tokens: Array<{ id: string; issued_by: string }>;
    };
    expect(list.tokens.find((t) => t.id === id)?.issued_by).toBe(sub);
  });
});

describe('UTF-8 names (PUSH_ENABLE_UTF8_NAMES) holding U+0000 and the escape character', () => {
  const gw = useGateway({ PUSH_ENABLE_UTF8_NAMES: 'true' });
  const name = `u\u0000${ESC}0`;
  const label = `l\u0000`;

  beforeAll(async () => {
    const body = `# HELP "${name}" h\u0000\n# TYPE "${name}" gauge\n{"${name}","${label}"="v\u0000"} 1\n`;
    const res = await fetch(`${gw.url}/metrics/job/utf8`, { method: 'PUT', body });
    expect([res.status, await res.text()]).toEqual([200, '']);
  });

  it('protobuf scrape (allow-utf-8) returns the names exactly', async () => {
    const res = await fetch(`${gw.url}/metrics`, { headers: { Accept: `${PB}; escaping=allow-utf-8` } });
    const family = parseProtobufDelimited(Buffer.from(await res.arrayBuffer())).find((f) => f.name === name);
    expect(family?.help).toBe('h\u0000');
    expect(family?.metric.map((m) => Object.fromEntries(m.label.map((l) => [l.name, l.value])))).toEqual([{ [label]: 'v\u0000', instance: '', job: 'utf8' }]);
  });

  it('the query API finds the series by its name and label, and lists the name', async () => {
    const answer = await json<VectorAnswer>(`${gw.url}/api/v1/query?${new URLSearchParams({ query: '{"u\\x00\\xef\\xb7\\x900", "l\\x00"="v\\x00"}' })}`);
    expect(answer.data.result.map((r) => r.metric)).toEqual([{ __name__: name, [label]: 'v\u0000', job: 'utf8' }]);
    const names = await json<{ data: string[] }>(`${gw.url}/api/v1/label/__name__/values`);
    expect(names.data).toContain(name);
  });
});
