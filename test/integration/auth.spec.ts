import request from 'supertest';
import { gzipSync } from 'node:zlib';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as path from 'node:path';
import { createTestDatabase, InProcessGateway, startInProcess, TestDatabase, useGateway } from '../support/gateway';
import { pushedLines } from '../support/scrape';
import { AuthKeys, basic, hsToken, keyToken, makeAuthKeys, noneToken, TokenSpec, WWW_AUTHENTICATE, AUDIENCE, ISSUER } from './auth-support';
import { parseProtobufDelimited, encodeProtobufDelimited } from '../../src/core/exposition/protobuf-delimited';
import { MetricType } from '../../src/core/model/metric-family';

const PROTOBUF = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';

describe('auth: tokens, scopes and tenants over HTTP on a real database', () => {
  let db: TestDatabase;
  let gw: InProcessGateway;
  let keys: AuthKeys;
  /** Operator token with every scope. */
  let root: string;

  const token = (spec: TokenSpec): Promise<string> => hsToken(keys.secret, spec);
  const bearer = (t: string): string => `Bearer ${t}`;

  beforeAll(async () => {
    db = await createTestDatabase();
    keys = await makeAuthKeys(db.dataDir);
    gw = await startInProcess(db, { ...keys.env, ADMIN_API_ENABLED: 'true' });
    root = await token({ scope: 'push read admin' });
  });
  afterAll(async () => {
    await gw.close();
    await db.drop();
  });
  beforeEach(async () => {
    await request(gw.url).put('/api/v1/admin/wipe').set('Authorization', bearer(root)).expect(202);
  });

  const scrape = async (auth: string): Promise<string[]> => pushedLines((await request(gw.url).get('/metrics').set('Authorization', auth).expect(200)).text);

  describe('401 for a missing or invalid token', () => {
    const protectedEndpoints: [string, string][] = [
      ['GET', '/metrics'],
      ['GET', '/api/v1/metrics'],
      ['GET', '/api/v1/status'],
      ['GET', '/'],
      ['GET', '/status'],
      ['PUT', '/metrics/job/x'],
      ['POST', '/metrics/job/x'],
      ['DELETE', '/metrics/job/x'],
      ['PUT', '/api/v2/metrics/job/x'],
      ['PUT', '/api/v1/admin/wipe'],
      ['GET', '/api/v1/admin/tokens'],
      ['POST', '/api/v1/admin/tokens'],
      ['DELETE', '/api/v1/admin/tokens/some-id'],
      ['PUT', '/-/quit'],
      ['OPTIONS', '/api/v1/metrics'],
    ];

    it.each(protectedEndpoints)('%s %s without a token: 401 with both challenges and a one-line body', async (method, url) => {
      const res = await request(gw.url)[method.toLowerCase() as 'get'](url).send('x 1\n');
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe(WWW_AUTHENTICATE);
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(res.text).toBe('authentication required\n');
    });

    it.each([
      ['/-/healthy', 'OK'],
      ['/-/ready', 'OK'],
    ])('%s stays open', async (url, body) => {
      const res = await request(gw.url).get(url).expect(200);
      expect(res.text).toBe(body);
    });

    const invalid: [string, () => Promise<string>, string][] = [
      ['malformed bearer token', async () => bearer('not-a-jwt'), 'invalid or expired token'],
      ['unknown scheme', async () => `Digest ${await token({ scope: 'read' })}`, 'invalid credentials'],
      ['BasicAuth without password', async () => `Basic ${Buffer.from('user:').toString('base64')}`, 'invalid credentials'],
      [
        'wrong signature (other secret)',
        async () => bearer(await hsToken('another-secret-of-at-least-32-bytes!!', { scope: 'read' })),
        'invalid or expired token',
      ],
      ['tampered payload', async () => bearer(tamper(await token({ tenant: 'a', scope: 'read' }))), 'invalid or expired token'],
      ['alg none', async () => bearer(noneToken({ scope: 'read' })), 'invalid or expired token'],
      ['expired', async () => bearer(await token({ scope: 'read', expIn: -60 })), 'invalid or expired token'],
      ['not yet valid', async () => bearer(await token({ scope: 'read', nbfIn: 600 })), 'invalid or expired token'],
      ['wrong issuer', async () => bearer(await token({ scope: 'read', iss: 'https://evil.example' })), 'invalid or expired token'],
      ['wrong audience', async () => bearer(await token({ scope: 'read', aud: 'someone-else' })), 'invalid or expired token'],
      ['unknown kid', async () => bearer(await keyToken(keys.jwksPrivate, 'ES256', { scope: 'read' }, 'no-such-kid')), 'invalid or expired token'],
      [
        'known kid, signed by a stranger',
        async () => bearer(await keyToken(keys.strangerPrivate, 'ES256', { scope: 'read' }, 'es-1')),
        'invalid or expired token',
      ],
      [
        'asymmetric token signed by an unknown key, no kid',
        async () => bearer(await keyToken(keys.strangerPrivate, 'ES256', { scope: 'read' })),
        'invalid or expired token',
      ],
      ['without exp', async () => bearer(await token({ scope: 'read', noExp: true })), 'invalid or expired token'],
      ['without jti', async () => bearer(await token({ scope: 'read', jti: null })), 'invalid or expired token'],
      ['unusable tenant claim', async () => bearer(await token({ scope: 'read', extra: { tenant: 42 } })), 'invalid or expired token'],
      ['invalid token as BasicAuth password', async () => basic(await token({ scope: 'read', expIn: -60 })), 'invalid or expired token'],
    ];

    it.each(invalid)('%s: 401', async (_name, auth, body) => {
      const res = await request(gw.url)
        .get('/metrics')
        .set('Authorization', await auth());
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe(WWW_AUTHENTICATE);
      expect(res.text).toBe(`${body}\n`);
    });
  });

  describe('accepted tokens', () => {
    const valid: [string, () => Promise<string>][] = [
      ['HS256 bearer', async () => bearer(await token({ scope: 'read' }))],
      ['HS512 bearer', async () => bearer(await hsToken(keys.secret, { scope: 'read' }, 'HS512'))],
      ['ES256 from the JWKS by kid', async () => bearer(await keyToken(keys.jwksPrivate, 'ES256', { scope: 'read' }, 'es-1'))],
      ['EdDSA with the PEM public key', async () => bearer(await keyToken(keys.pemPrivate, 'EdDSA', { scope: 'read' }))],
      ['BasicAuth password, any user name', async () => basic(await token({ scope: 'read' }), 'whoever')],
      ['BasicAuth password, empty user name', async () => basic(await token({ scope: 'read' }), '')],
      ['expired within the clock skew', async () => bearer(await token({ scope: 'read', expIn: -2 }))],
      ['not yet valid within the clock skew', async () => bearer(await token({ scope: 'read', nbfIn: 2 }))],
      ['scope as an array, with foreign scopes', async () => bearer(await token({ extra: { scope: ['openid', 'read'] } }))],
    ];

    it.each(valid)('%s', async (_name, auth) => {
      await request(gw.url)
        .get('/metrics')
        .set('Authorization', await auth())
        .expect(200);
    });
  });

  describe('scopes per endpoint (operator tokens)', () => {
    type Row = [string, string, string, { push: number; read: number; admin: number }];
    const rows: Row[] = [
      ['PUT', '/metrics/job/s', 's 1\n', { push: 200, read: 403, admin: 403 }],
      ['POST', '/metrics/job/s', 's 1\n', { push: 200, read: 403, admin: 403 }],
      ['DELETE', '/metrics/job/s', '', { push: 202, read: 403, admin: 403 }],
      ['PUT', '/api/v2/metrics/job/s', 's 1\n', { push: 200, read: 403, admin: 403 }],
      ['DELETE', '/api/v2/metrics/job/s', '', { push: 202, read: 403, admin: 403 }],
      ['GET', '/metrics', '', { push: 403, read: 200, admin: 403 }],
      ['GET', '/api/v1/metrics', '', { push: 403, read: 200, admin: 403 }],
      ['GET', '/api/v1/status', '', { push: 403, read: 200, admin: 403 }],
      ['GET', '/', '', { push: 403, read: 200, admin: 403 }],
      ['GET', '/status', '', { push: 403, read: 200, admin: 403 }],
      ['PUT', '/api/v1/admin/wipe', '', { push: 403, read: 403, admin: 202 }],
      ['GET', '/api/v1/admin/tokens', '', { push: 403, read: 403, admin: 200 }],
      ['POST', '/api/v1/admin/tokens', '{"tenant":"t","scope":"read","ttl":"1h"}', { push: 403, read: 403, admin: 201 }],
    ];
    const cases = rows.flatMap(([method, url, body, want]) =>
      (['push', 'read', 'admin'] as const).map((scope) => [method, url, scope, body, want[scope]] as const),
    );

    it.each(cases)('%s %s with a %s token: %d', async (method, url, scope, body, status) => {
      const agent = request(gw.url);
      const res = await agent[method.toLowerCase() as 'get'](url)
        .set('Authorization', bearer(await token({ scope })))
        .send(body);
      expect(res.status).toBe(status);
      if (status === 403) {
        expect(res.text).toBe(`token lacks the ${url.includes('admin') ? 'admin' : method === 'GET' ? 'read' : 'push'} scope\n`);
        expect(res.headers['www-authenticate']).toBeUndefined();
      }
    });

    it('a token without any scope gets 403 everywhere but the health endpoints', async () => {
      const none = bearer(await token({ tenant: 'acme' }));
      await request(gw.url).get('/metrics').set('Authorization', none).expect(403);
      await request(gw.url).put('/metrics/job/x').set('Authorization', none).send('x 1\n').expect(403);
      await request(gw.url).get('/-/healthy').set('Authorization', none).expect(200);
    });

    it('the lifecycle API needs an operator token, even with the admin scope', async () => {
      const res = await request(gw.url)
        .put('/-/quit')
        .set('Authorization', bearer(await token({ tenant: 'acme', scope: 'admin' })));
      expect([res.status, res.text]).toEqual([403, 'this endpoint needs an operator token\n']);
    });
  });

  describe('tenants', () => {
    let a: string;
    let b: string;
    let readA: string;

    beforeAll(async () => {
      a = bearer(await token({ tenant: 'alpha', scope: 'push read' }));
      b = bearer(await token({ tenant: 'beta', scope: 'push read' }));
      readA = basic(await token({ tenant: 'alpha', scope: 'read' }));
    });

    it("keeps tenants' groups with the same grouping key apart and labels each series with tenant_userid", async () => {
      await request(gw.url).put('/metrics/job/shared').set('Authorization', a).send('m 1\n').expect(200);
      await request(gw.url).put('/metrics/job/shared').set('Authorization', b).send('m 2\n').expect(200);
      await request(gw.url).put('/metrics/job/shared').set('Authorization', bearer(root)).send('m 3\n').expect(200);
      expect((await scrape(readA)).filter((l) => l.startsWith('m{'))).toEqual(['m{instance="",job="shared",tenant_userid="alpha"} 1']);
      expect((await scrape(b)).filter((l) => l.startsWith('m{'))).toEqual(['m{instance="",job="shared",tenant_userid="beta"} 2']);
      expect((await scrape(bearer(root))).filter((l) => l.startsWith('m{'))).toEqual([
        'm{instance="",job="shared"} 3',
        'm{instance="",job="shared",tenant_userid="alpha"} 1',
        'm{instance="",job="shared",tenant_userid="beta"} 2',
      ]);
    });

    it("a tenant's scrape holds only its own series: no other tenant's, no gateway metrics (text and protobuf)", async () => {
      await request(gw.url).put('/metrics/job/ja').set('Authorization', a).send('# TYPE only_a gauge\nonly_a 1\n').expect(200);
      await request(gw.url).put('/metrics/job/jb').set('Authorization', b).send('# TYPE only_b gauge\nonly_b 1\n').expect(200);
      const text = (await request(gw.url).get('/metrics').set('Authorization', readA).expect(200)).text;
      expect(text).toContain('only_a{instance="",job="ja",tenant_userid="alpha"} 1');
      expect(text).not.toMatch(/only_b|beta|process_|nodejs_|pushgateway_/);
      const proto = await request(gw.url)
        .get('/metrics')
        .set('Authorization', readA)
        .set('Accept', PROTOBUF)
        .buffer(true)
        .parse((res, done) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => done(null, Buffer.concat(chunks)));
        })
        .expect(200);
      const families = parseProtobufDelimited(proto.body as Buffer);
      expect(families.map((f) => f.name).sort()).toEqual(['only_a', 'push_failure_time_seconds', 'push_time_seconds']);
      for (const f of families) {
        for (const m of f.metric) {
          expect(m.label).toContainEqual({ name: 'tenant_userid', value: 'alpha' });
        }
      }
      const all = (await request(gw.url).get('/metrics').set('Authorization', bearer(root)).expect(200)).text;
      expect(all).toMatch(/only_a/);
      expect(all).toMatch(/only_b/);
      expect(all).toMatch(/pushgateway_build_info/);
    });

    it("a tenant's /api/v1/metrics and status page list only its own groups", async () => {
      await request(gw.url).put('/metrics/job/json_a').set('Authorization', a).send('x 1\n').expect(200);
      await request(gw.url).put('/metrics/job/json_b').set('Authorization', b).send('x 1\n').expect(200);
      const json = (await request(gw.url).get('/api/v1/metrics').set('Authorization', readA).expect(200)).body as {
        data: { labels: Record<string, string> }[];
      };
      expect(json.data.map((g) => g.labels.job)).toEqual(['json_a']);
      const operatorJson = (await request(gw.url).get('/api/v1/metrics').set('Authorization', bearer(root)).expect(200)).body as typeof json;
      expect(operatorJson.data.map((g) => g.labels.job).sort()).toEqual(['json_a', 'json_b']);
      const page = (await request(gw.url).get('/').set('Authorization', readA).expect(200)).text;
      expect(page).toContain('json_a');
      expect(page).not.toContain('json_b');
      expect((await request(gw.url).get('/status').set('Authorization', bearer(root)).expect(200)).text).toContain('json_b');
    });

    it.each<[string, string, string | Buffer, Record<string, string>]>([
      ['grouping key (URL)', '/metrics/job/j/tenant_userid/beta', 'x 1\n', {}],
      ['grouping key, base64 value', `/metrics/job/j/tenant_userid@base64/${Buffer.from('beta').toString('base64url')}`, 'x 1\n', {}],
      ['managed-service route', '/api/v2/metrics/job/j/tenant_userid/beta', 'x 1\n', {}],
      ['text body label', '/metrics/job/j', 'x{tenant_userid="beta"} 1\n', {}],
      ['gzip text body label', '/metrics/job/j', gzipSync('ok 1\nx{a="1",tenant_userid="beta"} 1\n'), { 'Content-Encoding': 'gzip' }],
      [
        'protobuf body label',
        '/metrics/job/j',
        encodeProtobufDelimited([
          { name: 'x', help: '', type: MetricType.GAUGE, metric: [{ label: [{ name: 'tenant_userid', value: 'beta' }], gauge: { value: 1 } }] },
        ]),
        { 'Content-Type': PROTOBUF },
      ],
    ])("pushing another tenant's tenant_userid in the %s is 403", async (_name, url, body, headers) => {
      for (const method of ['put', 'post'] as const) {
        const res = await request(gw.url)[method](url).set('Authorization', a).set(headers).send(body);
        expect(res.status).toBe(403);
        expect(res.text).toMatch(/^tenant_userid (in the grouping key|of a pushed series) is outside the token's tenant\n$/);
      }
      expect((await scrape(bearer(root))).filter((l) => l.startsWith('x{'))).toEqual([]);
    });

    it('deleting with another tenant in the grouping key is 403', async () => {
      await request(gw.url).delete('/metrics/job/j/tenant_userid/beta').set('Authorization', a).expect(403);
    });

    it('its own tenant_userid in the body is accepted; the label is always the token tenant', async () => {
      await request(gw.url).put('/metrics/job/own').set('Authorization', a).send('x{tenant_userid="alpha"} 1\ny 2\n').expect(200);
      expect((await scrape(readA)).filter((l) => /^[xy]\{/.test(l))).toEqual([
        'x{instance="",job="own",tenant_userid="alpha"} 1',
        'y{instance="",job="own",tenant_userid="alpha"} 2',
      ]);
    });

    it("a tenant can only delete its own groups: deleting the same grouping key leaves another tenant's group alone", async () => {
      await request(gw.url).put('/metrics/job/victim').set('Authorization', a).send('v 1\n').expect(200);
      await request(gw.url).delete('/metrics/job/victim').set('Authorization', b).expect(202);
      expect((await scrape(readA)).filter((l) => l.startsWith('v{'))).toEqual(['v{instance="",job="victim",tenant_userid="alpha"} 1']);
      await request(gw.url).put('/metrics/job/victim').set('Authorization', b).send('v 2\n').expect(200);
      await request(gw.url).delete('/metrics/job/victim').set('Authorization', a).expect(202);
      expect((await scrape(bearer(root))).filter((l) => l.startsWith('v{'))).toEqual(['v{instance="",job="victim",tenant_userid="beta"} 2']);
    });

    it("a tenant admin's wipe removes only its own tenant's groups", async () => {
      await request(gw.url).put('/metrics/job/w').set('Authorization', a).send('w 1\n').expect(200);
      await request(gw.url).put('/metrics/job/w').set('Authorization', b).send('w 2\n').expect(200);
      await request(gw.url).put('/metrics/job/w').set('Authorization', bearer(root)).send('w 3\n').expect(200);
      await request(gw.url)
        .put('/api/v1/admin/wipe')
        .set('Authorization', bearer(await token({ tenant: 'alpha', scope: 'admin' })))
        .expect(202);
      expect((await scrape(bearer(root))).filter((l) => l.startsWith('w{'))).toEqual([
        'w{instance="",job="w"} 3',
        'w{instance="",job="w",tenant_userid="beta"} 2',
      ]);
    });

    it('a tenant scrape follows pushes (the per-tenant merge is rebuilt when the store changes)', async () => {
      await request(gw.url).put('/metrics/job/c').set('Authorization', a).send('c 1\n').expect(200);
      expect((await scrape(readA)).filter((l) => l.startsWith('c{'))).toEqual(['c{instance="",job="c",tenant_userid="alpha"} 1']);
      await request(gw.url).put('/metrics/job/c').set('Authorization', a).send('c 2\n').expect(200);
      expect((await scrape(readA)).filter((l) => l.startsWith('c{'))).toEqual(['c{instance="",job="c",tenant_userid="alpha"} 2']);
    });
  });

  describe('issuing, listing and revoking tokens', () => {
    const issue = (auth: string, body: unknown): request.Test =>
      request(gw.url).post('/api/v1/admin/tokens').set('Authorization', auth).set('Content-Type', 'application/json').send(JSON.stringify(body));

    it('an operator issues a tenant token that works, is listed without the token, and stops working when revoked', async () => {
      const res = await issue(bearer(root), { tenant: 'gamma', scope: 'push read', ttl: '1h' }).expect(201);
      const issued = res.body as { token: string; id: string; expires_at: string; tenant: string; scope: string };
      expect(issued).toEqual({ token: expect.any(String), id: expect.any(String), expires_at: expect.any(String), tenant: 'gamma', scope: 'push read' });
      expect(Math.abs(Date.parse(issued.expires_at) - Date.now() - 3600_000)).toBeLessThan(5000);
      const auth = bearer(issued.token);
      await request(gw.url).put('/metrics/job/issued').set('Authorization', auth).send('i 1\n').expect(200);
      expect((await scrape(auth)).filter((l) => l.startsWith('i{'))).toEqual(['i{instance="",job="issued",tenant_userid="gamma"} 1']);

      const list = await request(gw.url).get('/api/v1/admin/tokens').set('Authorization', bearer(root)).expect(200);
      expect(list.text).not.toContain(issued.token);
      const listed = (list.body as { tokens: Record<string, unknown>[] }).tokens.find((t) => t.id === issued.id);
      expect(listed).toEqual({
        id: issued.id,
        tenant: 'gamma',
        scope: 'push read',
        issued_at: expect.any(String),
        expires_at: issued.expires_at,
        issued_by: expect.any(String),
        revoked_at: null,
      });

      await request(gw.url).delete(`/api/v1/admin/tokens/${issued.id}`).set('Authorization', bearer(root)).expect(204);
      const refused = await request(gw.url).get('/metrics').set('Authorization', auth);
      expect([refused.status, refused.text]).toEqual([401, 'invalid or expired token\n']);
      await request(gw.url).put('/metrics/job/issued').set('Authorization', basic(issued.token)).send('i 1\n').expect(401);
      const after = (await request(gw.url).get('/api/v1/admin/tokens').set('Authorization', bearer(root))).body as {
        tokens: { id: string; revoked_at: string | null }[];
      };
      expect(after.tokens.find((t) => t.id === issued.id)?.revoked_at).toEqual(expect.any(String));
      await request(gw.url).delete(`/api/v1/admin/tokens/${issued.id}`).set('Authorization', bearer(root)).expect(204);
    });

    it('an operator can revoke any token id, e.g. of a token issued elsewhere', async () => {
      const jti = `external-${Date.now()}`;
      const external = bearer(await token({ tenant: 'delta', scope: 'read', jti }));
      await request(gw.url).get('/metrics').set('Authorization', external).expect(200);
      await request(gw.url).delete(`/api/v1/admin/tokens/${jti}`).set('Authorization', bearer(root)).expect(204);
      await request(gw.url).get('/metrics').set('Authorization', external).expect(401);
    });

    it('tenant admins issue, list and revoke only within their own tenant', async () => {
      const adminA = bearer(await token({ tenant: 'alpha', scope: 'admin' }));
      const adminB = bearer(await token({ tenant: 'beta', scope: 'admin' }));
      const own = (await issue(adminA, { scope: 'read' }).expect(201)).body as { id: string; tenant: string; expires_at: string };
      expect(own.tenant).toBe('alpha');
      expect(Math.abs(Date.parse(own.expires_at) - Date.now() - 30 * 86400_000)).toBeLessThan(5000);
      expect((await issue(adminA, { tenant: 'beta', scope: 'read' }).expect(403)).text).toBe("tokens can only be issued for the token's own tenant\n");
      await issue(adminA, { tenant: '*', scope: 'read' }).expect(403);
      const ofB = (await issue(adminB, { scope: 'push' }).expect(201)).body as { id: string };
      const listA = (await request(gw.url).get('/api/v1/admin/tokens').set('Authorization', adminA).expect(200)).body as {
        tokens: { id: string; tenant: string }[];
      };
      expect(listA.tokens.map((t) => t.tenant)).toEqual(listA.tokens.map(() => 'alpha'));
      expect(listA.tokens.map((t) => t.id)).toContain(own.id);
      expect((await request(gw.url).delete(`/api/v1/admin/tokens/${ofB.id}`).set('Authorization', adminA).expect(404)).text).toBe('token not found\n');
      await request(gw.url).delete('/api/v1/admin/tokens/unknown-id').set('Authorization', adminA).expect(404);
      await request(gw.url).delete(`/api/v1/admin/tokens/${own.id}`).set('Authorization', adminA).expect(204);
    });

    it.each<[string, unknown, string]>([
      ['not JSON', 'tenant=x', 'expected a JSON object {"tenant", "scope", "ttl"}\n'],
      ['unknown scope', { scope: 'push write' }, 'unknown scope "write"; expected push, read or admin\n'],
      ['missing scope', { tenant: 'x' }, 'scope must be a non-empty list of push, read, admin\n'],
      ['bad ttl', { scope: 'read', ttl: '3 days' }, 'invalid ttl "3 days": expected e.g. 3600, 12h or 30d, at most 10y\n'],
      ['bad tenant', { tenant: '', scope: 'read' }, 'tenant must be "*" or a tenant name of 1 to 128 characters\n'],
    ])('a bad issue request (%s) is 400', async (_name, body, message) => {
      const res = await request(gw.url)
        .post('/api/v1/admin/tokens')
        .set('Authorization', bearer(root))
        .send(typeof body === 'string' ? body : JSON.stringify(body));
      expect([res.status, res.text]).toEqual([400, message]);
    });

    it('`npm run token` (dist/src/cli/token.js) prints a token the gateway accepts', async () => {
      const cli = path.resolve(__dirname, '../../dist/src/cli/token.js');
      const { stdout } = await promisify(execFile)(process.execPath, [cli, '--tenant', 'cli-tenant', '--scope', 'push read', '--ttl', '30d'], {
        env: { PATH: process.env.PATH, AUTH_JWT_SECRET: keys.secret, AUTH_JWT_ISSUER: ISSUER, AUTH_JWT_AUDIENCE: AUDIENCE },
      });
      const cliToken = stdout.trim();
      expect(cliToken.split('.')).toHaveLength(3);
      await request(gw.url).put('/metrics/job/cli').set('Authorization', basic(cliToken)).send('k 1\n').expect(200);
      expect((await scrape(bearer(cliToken))).filter((l) => l.startsWith('k{'))).toEqual(['k{instance="",job="cli",tenant_userid="cli-tenant"} 1']);
      const payload = JSON.parse(Buffer.from(cliToken.split('.')[1], 'base64url').toString()) as Record<string, unknown>;
      expect((payload.exp as number) - (payload.iat as number)).toBe(30 * 86400);
    });
  });
});

describe('auth off (no key configured)', () => {
  const gw = useGateway({ ADMIN_API_ENABLED: 'true' });

  it('needs no token, and tenant_userid is an ordinary label', async () => {
    await request(gw.url).put('/metrics/job/plain/tenant_userid/anyone').send('x{tenant_userid="ignored"} 1\n').expect(200);
    await request(gw.url).put('/metrics/job/body').send('y{tenant_userid="free"} 1\n').expect(200);
    const lines = pushedLines((await request(gw.url).get('/metrics').expect(200)).text);
    expect(lines).toContain('x{instance="",job="plain",tenant_userid="anyone"} 1');
    expect(lines).toContain('y{instance="",job="body",tenant_userid="free"} 1');
  });

  it('ignores Authorization headers, even garbage', async () => {
    await request(gw.url).get('/metrics').set('Authorization', 'Bearer garbage').expect(200);
  });

  it('has no token management endpoints', async () => {
    await request(gw.url).get('/api/v1/admin/tokens').expect(404);
    await request(gw.url).post('/api/v1/admin/tokens').send('{"scope":"admin"}').expect(404);
  });
});

function tamper(jwt: string): string {
  const [h, p, s] = jwt.split('.');
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
  return [h, Buffer.from(JSON.stringify({ ...claims, tenant: 'b' })).toString('base64url'), s].join('.');
}

describe('auth behind a route prefix', () => {
  let db: TestDatabase;
  let gw: InProcessGateway;
  let keys: AuthKeys;

  beforeAll(async () => {
    db = await createTestDatabase();
    keys = await makeAuthKeys(db.dataDir);
    gw = await startInProcess(db, { ...keys.env, ROUTE_PREFIX: '/pgw' });
  });
  afterAll(async () => {
    await gw.close();
    await db.drop();
  });

  it('classifies routes without the prefix: health open, push needs push, scrape needs read', async () => {
    await request(gw.url).get('/pgw/-/healthy').expect(200);
    await request(gw.url).get('/pgw/metrics').expect(401);
    const push = `Bearer ${await hsToken(keys.secret, { tenant: 'p', scope: 'push' })}`;
    await request(gw.url).put('/pgw/metrics/job/prefixed').set('Authorization', push).send('p 1\n').expect(200);
    await request(gw.url).get('/pgw/metrics').set('Authorization', push).expect(403);
    const text = (
      await request(gw.url)
        .get('/pgw/metrics')
        .set('Authorization', `Bearer ${await hsToken(keys.secret, { tenant: 'p', scope: 'read' })}`)
        .expect(200)
    ).text;
    expect(pushedLines(text)).toContain('p{instance="",job="prefixed",tenant_userid="p"} 1');
  });
});
