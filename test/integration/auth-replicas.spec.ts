import { createTestDatabase, GatewayProcess, startProcess, TestDatabase } from '../support/gateway';
import { itWhen, serverUrl } from '../support/test-env';
import { hsToken, makeAuthKeys } from './auth-support';

/** Seconds within which every replica must honour a revocation (issue #3). */
const REVOCATION_DEADLINE_MS = 5000;

async function status(url: string, auth: string, method = 'GET', body?: string): Promise<number> {
  const res = await fetch(url, { method, body, headers: { Authorization: auth } });
  await res.text();
  return res.status;
}

/** Polls until `probe` returns `want`; resolves with the elapsed milliseconds, or rejects after `limitMs`. */
async function timeUntil(probe: () => Promise<number>, want: number, limitMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    if ((await probe()) === want) {
      return Date.now() - started;
    }
    if (Date.now() - started > limitMs) {
      throw new Error(`still not ${want} after ${limitMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('auth across two gateway processes sharing one PostgreSQL database', () => {
  const multi = serverUrl() !== undefined;
  const itMulti = itWhen(multi, 'needs a PostgreSQL server: the embedded engine serves one process only');
  let db: TestDatabase;
  let a: GatewayProcess | undefined;
  let b: GatewayProcess | undefined;
  let root: string;
  let secret: string;

  beforeAll(async () => {
    if (!multi) {
      return;
    }
    db = await createTestDatabase();
    const keys = await makeAuthKeys(db.dataDir);
    secret = keys.secret;
    root = `Bearer ${await hsToken(secret, { scope: 'push read admin' })}`;
    [a, b] = await Promise.all([startProcess(db, keys.env), startProcess(db, keys.env)]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop('SIGKILL'), b?.stop('SIGKILL')]);
    if (multi) {
      await db.drop();
    }
  });

  itMulti('a token revoked on one replica is refused by the other within 5 seconds, although the other had it cached', async () => {
    const res = await fetch(`${a!.url}/api/v1/admin/tokens`, {
      method: 'POST',
      headers: { Authorization: root, 'Content-Type': 'application/json' },
      body: JSON.stringify({ tenant: 'replicated', scope: 'push read', ttl: '1h' }),
    });
    expect(res.status).toBe(201);
    const { token, id } = (await res.json()) as { token: string; id: string };
    const auth = `Bearer ${token}`;
    expect(await status(`${b!.url}/metrics/job/r`, auth, 'PUT', 'r 1\n')).toBe(200);
    expect(await status(`${b!.url}/metrics`, auth)).toBe(200);

    expect(await status(`${a!.url}/api/v1/admin/tokens/${id}`, root, 'DELETE')).toBe(204);
    expect(await status(`${a!.url}/metrics`, auth)).toBe(401);
    const elapsed = await timeUntil(() => status(`${b!.url}/metrics`, auth), 401, REVOCATION_DEADLINE_MS);
    process.stdout.write(`revocation reached the second replica after ${elapsed} ms\n`);
    expect(elapsed).toBeLessThan(REVOCATION_DEADLINE_MS);
    expect(await status(`${b!.url}/metrics/job/r`, auth, 'PUT', 'r 2\n')).toBe(401);

    const listed = (await (await fetch(`${b!.url}/api/v1/admin/tokens`, { headers: { Authorization: root } })).json()) as {
      tokens: { id: string; revoked_at: string | null }[];
    };
    expect(listed.tokens.find((t) => t.id === id)?.revoked_at).toEqual(expect.any(String));
  });

  itMulti('a revocation of an externally signed token made on the second replica reaches the first', async () => {
    const jti = `cli-${Date.now()}`;
    const auth = `Basic ${Buffer.from(`u:${await hsToken(secret, { tenant: 't2', scope: 'read', jti })}`).toString('base64')}`;
    expect(await status(`${a!.url}/metrics`, auth)).toBe(200);
    expect(await status(`${b!.url}/api/v1/admin/tokens/${jti}`, root, 'DELETE')).toBe(204);
    expect(await timeUntil(() => status(`${a!.url}/metrics`, auth), 401, REVOCATION_DEADLINE_MS)).toBeLessThan(REVOCATION_DEADLINE_MS);
  });

  itMulti('both replicas refuse a missing token and keep health endpoints open', async () => {
    for (const gw of [a!, b!]) {
      const res = await fetch(`${gw.url}/metrics`);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="pushgateway", Basic realm="pushgateway"');
      expect((await fetch(`${gw.url}/-/ready`)).status).toBe(200);
    }
  });
});
