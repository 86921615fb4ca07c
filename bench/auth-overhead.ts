/**
 * Push latency with and without auth (issue #3). Starts four `node dist/src/main.js` processes on
 * one scratch PostgreSQL database:
 *   off        no key configured (upstream behaviour)
 *   operator   AUTH_JWT_SECRET, HS256 operator push token, verified-token cache on (the default)
 *   tenant     same with a tenant token (adds the tenant checks and the tenant_userid label)
 *   uncached   tenant token, AUTH_CACHE_TTL_SECONDS=0: every push verifies the signature
 * and times sequential PUTs of a small body, one keep-alive connection per gateway, interleaving
 * the gateways request by request so that background load hits them alike. Each round
 * reports the median per configuration; the summary is the median of the round medians.
 * Then it times the auth work alone in this process (header parsing + TokenVerifier.verify), which
 * is what auth adds to each request, without the network and database noise.
 * Usage (after `npm run build`):
 *   node dist/bench/auth-overhead.js [--pushes 1000] [--rounds 5] [--database-url postgres://...]
 */
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { BenchDatabase, Server, startOurs } from './servers';

const ROOT = path.resolve(__dirname, '../..');
const SECRET = `bench-secret-${randomBytes(16).toString('hex')}`;
const BODY = '# TYPE bench_auth_gauge gauge\nbench_auth_gauge{k="v"} 1\n# TYPE bench_auth_counter counter\nbench_auth_counter 3\n';

type Mode = 'off' | 'operator' | 'tenant' | 'uncached';

/** Our gateway as its own process, with auth as `mode` has it. */
function startGateway(databaseUrl: string, mode: Mode): Promise<Server> {
  const env: Record<string, string> = {};
  if (mode !== 'off') {
    env.AUTH_JWT_SECRET = SECRET;
  }
  if (mode === 'uncached') {
    env.AUTH_CACHE_TTL_SECONDS = '0';
  }
  return startOurs({ name: mode, entry: path.join(ROOT, 'dist/src/main.js'), databaseUrl, dataDir: path.join(os.tmpdir(), 'pgw-auth-bench-unused'), env });
}

function put(agent: http.Agent, url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = http.request(
      url,
      { method: 'PUT', agent, headers: { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(BODY), ...headers } },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200 ? resolve(Number(process.hrtime.bigint() - started) / 1e6) : reject(new Error(`status ${res.statusCode}`)),
        );
      },
    );
    req.once('error', reject);
    req.end(BODY);
  });
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

interface Running {
  mode: Mode;
  url: string;
  server: Server;
  agent: http.Agent;
  headers: Record<string, string>;
}

async function tenantToken(tenant = 'bench'): Promise<string> {
  return new SignJWT({ tenant, scope: 'push', jti: randomUUID() })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setExpirationTime('1h')
    .setIssuedAt()
    .sign(new TextEncoder().encode(SECRET));
}

async function start(databaseUrl: string, mode: Mode): Promise<Running> {
  const server = await startGateway(databaseUrl, mode);
  const token = mode === 'off' ? undefined : await tenantToken(mode === 'operator' ? '*' : 'bench');
  const headers: Record<string, string> = token === undefined ? {} : { Authorization: `Bearer ${token}` };
  return { mode, url: `http://${server.host}:${server.port}`, server, agent: new http.Agent({ keepAlive: true, maxSockets: 1 }), headers };
}

async function stop(gw: Running): Promise<void> {
  gw.agent.destroy();
  await gw.server.stop();
}

const push = (gw: Running): Promise<number> => put(gw.agent, `${gw.url}/metrics/job/bench_auth_${gw.mode}/instance/i1`, gw.headers);

/** Median and p90 per mode of `pushes` interleaved pushes (the order rotates every iteration). */
async function round(gateways: Running[], pushes: number): Promise<Map<Mode, { median: number; p90: number }>> {
  const samples = new Map<Mode, number[]>(gateways.map((g) => [g.mode, []]));
  for (let i = 0; i < pushes; i++) {
    for (let j = 0; j < gateways.length; j++) {
      const gw = gateways[(i + j) % gateways.length];
      samples.get(gw.mode)!.push(await push(gw));
    }
  }
  return new Map(
    [...samples].map(([mode, xs]) => {
      xs.sort((a, b) => a - b);
      return [mode, { median: quantile(xs, 0.5), p90: quantile(xs, 0.9) }];
    }),
  );
}

/**
 * Microseconds per request of auth's work for a tenant push (header parsing, verify, route
 * classification, scope check, the tenant rule on the grouping key), with the verified-token cache on
 * and off: median of 5 runs of n calls, in this process, without network or database.
 */
async function microbench(n: number): Promise<{ cached: number; uncached: number }> {
  const { loadConfig } = await import('../src/config/env.schema');
  const { TokenVerifier } = await import('../src/auth/token-verifier.service');
  const { parseGroupingPath } = await import('../src/core/grouping/grouping-path');
  const { credentialsOf } = await import('../src/core/auth/credentials');
  const { routeAccess } = await import('../src/core/auth/route-access');
  const { authorize, checkGroupingLabels } = await import('../src/core/auth/rules');
  // Stand-in for RevocationService: an empty list, no database.
  const revocations = { isRevoked: () => false } as unknown as ConstructorParameters<typeof TokenVerifier>[1];
  const header = `Bearer ${await tenantToken()}`;
  const req = { method: 'PUT', path: 'job/bench/instance/i1', headers: { authorization: header } };
  const time = async (cacheTtl: string): Promise<number> => {
    const verifier = new TokenVerifier(loadConfig({ AUTH_JWT_SECRET: SECRET, AUTH_CACHE_TTL_SECONDS: cacheTtl }), revocations);
    const runs: number[] = [];
    for (let r = 0; r < 5; r++) {
      const started = process.hrtime.bigint();
      for (let i = 0; i < n; i++) {
        const c = credentialsOf(req.headers.authorization);
        if (c.kind !== 'token') {
          throw new Error('no token');
        }
        const principal = await verifier.verify(c.token);
        const access = routeAccess(req.method, '/metrics/*');
        const grouping = parseGroupingPath(req.path, { allowMissingJob: false });
        if (access.kind === 'public' || !authorize(principal, access).allowed || !checkGroupingLabels(principal, grouping).allowed) {
          throw new Error('refused');
        }
      }
      runs.push(Number(process.hrtime.bigint() - started) / 1e3 / n);
    }
    return runs.sort((a, b) => a - b)[2];
  };
  return { cached: await time('60'), uncached: await time('0') };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      pushes: { type: 'string', default: '1000' },
      rounds: { type: 'string', default: '5' },
      'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    },
  });
  const server = values['database-url'] ?? '';
  const db = new BenchDatabase(server, `pgw_bench_auth_${randomBytes(4).toString('hex')}`);
  const modes: Mode[] = ['off', 'operator', 'tenant', 'uncached'];
  const results: Record<Mode, { median: number; p90: number }[]> = { off: [], operator: [], tenant: [], uncached: [] };
  await db.create();
  let gateways: Running[] = [];
  try {
    gateways = [];
    for (const mode of modes) {
      gateways.push(await start(db.url, mode));
    }
    await round(gateways, 200);
    for (let r = 1; r <= Number(values.rounds); r++) {
      const medians = await round(gateways, Number(values.pushes));
      for (const mode of modes) {
        const m = medians.get(mode)!;
        results[mode].push(m);
        process.stdout.write(`round ${r} ${mode.padEnd(8)} median ${m.median.toFixed(3)} ms  p90 ${m.p90.toFixed(3)} ms\n`);
      }
    }
  } finally {
    await Promise.all(gateways.map(stop));
    await db.drop();
  }
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const base = med(results.off.map((r) => r.median));
  process.stdout.write(`\n${values.pushes} interleaved sequential PUTs per configuration and round, ${values.rounds} rounds; median of round medians:\n`);
  for (const mode of modes) {
    const m = med(results[mode].map((r) => r.median));
    const p90 = med(results[mode].map((r) => r.p90));
    const delta = m - base;
    const overhead = mode === 'off' ? '' : `  overhead ${delta >= 0 ? '+' : ''}${(delta * 1000).toFixed(0)} µs (${((delta / base) * 100).toFixed(1)}%)`;
    process.stdout.write(`  ${mode.padEnd(8)} ${m.toFixed(3)} ms (p90 ${p90.toFixed(3)} ms)${overhead}\n`);
  }
  const micro = await microbench(20000);
  process.stdout.write(
    `\nguard work per tenant push in isolation (parse header, verify, scope and tenant checks; median of 5 × 20000):\n  cached   ${micro.cached.toFixed(1)} µs\n  uncached ${micro.uncached.toFixed(1)} µs\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
