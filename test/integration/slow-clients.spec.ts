import * as net from 'node:net';
import { createTestDatabase, GatewayProcess, startProcess, TestDatabase } from '../support/gateway';

/**
 * Slow and oversized clients (DESIGN §5c): 500 connections that dribble their request head one
 * byte at a time, or send a head and then a body that never finishes, do not keep a normal client
 * from pushing, and are closed by the gateway's HTTP_HEADERS_TIMEOUT / HTTP_REQUEST_TIMEOUT; a head
 * over HTTP_MAX_HEADER_BYTES is refused. The gateway runs as its own process (short timeouts), so
 * the latencies measured are its own and not this process's.
 */

const HEADERS_TIMEOUT_MS = 3000;
const REQUEST_TIMEOUT_MS = 4000;
const SLOW_CONNECTIONS = 500;
/** Pushes are measured for this long (at least MIN_PUSHES), well inside the head timeout. */
const MEASURE_MS = HEADERS_TIMEOUT_MS / 2;
const MIN_PUSHES = 20;
/** Each slow connection sends one byte this often. */
const DRIBBLE_MS = 200;

type SlowKind = 'head' | 'body';

interface SlowResult {
  kind: SlowKind;
  /** ms from opening until the gateway closed it; undefined if the test had to. */
  closedAfterMs?: number;
  statusLine: string;
}

/** A connection that never completes its request; resolves when it is closed (by the gateway, or by us at `giveUpMs`). */
function slowConnection(port: number, kind: SlowKind, giveUpMs: number): { opened: Promise<void>; closed: Promise<SlowResult> } {
  const socket = net.connect(port, '127.0.0.1');
  const started = Date.now();
  let received = '';
  let timer: NodeJS.Timeout | undefined;
  let gaveUp = false;
  const opened = new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  const closed = new Promise<SlowResult>((resolve) => {
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    socket.on('error', () => undefined);
    const giveUp = setTimeout(() => {
      gaveUp = true;
      socket.destroy();
    }, giveUpMs);
    socket.once('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve({ kind, closedAfterMs: gaveUp ? undefined : Date.now() - started, statusLine: received.split('\r\n')[0] });
    });
  });
  socket.once('connect', () => {
    if (kind === 'head') {
      socket.write('PUT /metrics/job/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
      timer = setInterval(() => socket.write('a'), DRIBBLE_MS);
    } else {
      socket.write('PUT /metrics/job/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000\r\n\r\nslow_metric');
      timer = setInterval(() => socket.write('1'), DRIBBLE_MS);
    }
  });
  return { opened, closed };
}

/** Latencies (ms) of sequential pushes from a keep-alive client for `forMs` (at least `min`); every push must answer 200. */
async function timedPushes(url: string, job: string, forMs: number, min = MIN_PUSHES): Promise<number[]> {
  const out: number[] = [];
  const until = Date.now() + forMs;
  for (let i = 0; i < min || Date.now() < until; i++) {
    const t = process.hrtime.bigint();
    const res = await fetch(`${url}/metrics/job/${job}`, { method: 'PUT', body: `normal_metric{i="${i % 10}"} ${i}\n` });
    await res.arrayBuffer();
    out.push(Number(process.hrtime.bigint() - t) / 1e6);
    expect(res.status).toBe(200);
  }
  return out;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const summary = (ms: number[]): string =>
  `p50 ${percentile(ms, 50).toFixed(1)} ms, p95 ${percentile(ms, 95).toFixed(1)} ms, max ${Math.max(...ms).toFixed(1)} ms`;

/** Sends a raw request and resolves with the status line of the answer. */
function rawStatus(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(request));
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(received.split('\r\n')[0]));
  });
}

describe('slow and oversized clients', () => {
  let db: TestDatabase;
  let gw: GatewayProcess;
  let port: number;

  beforeAll(async () => {
    db = await createTestDatabase();
    gw = await startProcess(db, {
      HTTP_HEADERS_TIMEOUT: `${HEADERS_TIMEOUT_MS}ms`,
      HTTP_REQUEST_TIMEOUT: `${REQUEST_TIMEOUT_MS}ms`,
      HTTP_KEEPALIVE_TIMEOUT: '30s',
      HTTP_MAX_HEADER_BYTES: '8192',
    });
    port = Number(new URL(gw.url).port);
  });
  afterAll(async () => {
    await gw?.stop();
    await db?.drop();
  });

  it(`pushes keep succeeding with bounded latency next to ${SLOW_CONNECTIONS} slow connections, which the timeouts close`, async () => {
    await timedPushes(gw.url, 'warmup', 0);
    const without = await timedPushes(gw.url, 'normal', MEASURE_MS);

    const giveUpMs = 4 * REQUEST_TIMEOUT_MS;
    const slow = Array.from({ length: SLOW_CONNECTIONS }, (_, i) => slowConnection(port, i % 2 === 0 ? 'head' : 'body', giveUpMs));
    await Promise.all(slow.map((s) => s.opened));
    const openedAt = Date.now();
    let closedSoFar = 0;
    slow.forEach((s) => void s.closed.then(() => closedSoFar++));
    const withSlow = await timedPushes(gw.url, 'normal', MEASURE_MS);
    const measuredFor = Date.now() - openedAt;
    const stillOpen = SLOW_CONNECTIONS - closedSoFar;
    const results = await Promise.all(slow.map((s) => s.closed));

    const closedBy = (kind: SlowKind): number[] => results.filter((r) => r.kind === kind && r.closedAfterMs !== undefined).map((r) => r.closedAfterMs!);
    const statuses = new Map<string, number>();
    for (const r of results) {
      const key = `${r.kind}: ${r.statusLine || '(closed without answer)'}`;
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
    }
    process.stdout.write(
      [
        `\nslow clients: ${SLOW_CONNECTIONS} connections (half dribbling the head, half a body), HTTP_HEADERS_TIMEOUT=${HEADERS_TIMEOUT_MS}ms HTTP_REQUEST_TIMEOUT=${REQUEST_TIMEOUT_MS}ms`,
        `  ${without.length} sequential pushes without slow connections: ${summary(without)}`,
        `  ${withSlow.length} sequential pushes with ${stillOpen} slow connections open (over ${measuredFor} ms): ${summary(withSlow)}`,
        `  slow heads closed after ${Math.min(...closedBy('head'))}..${Math.max(...closedBy('head'))} ms, slow bodies after ${Math.min(...closedBy('body'))}..${Math.max(...closedBy('body'))} ms`,
        ...[...statuses].map(([k, n]) => `  ${k}: ${n}`),
        '',
      ].join('\n'),
    );

    // The pushes ran while the slow connections were open, and were not slowed beyond a generous ratio.
    expect(stillOpen).toBe(SLOW_CONNECTIONS);
    expect(percentile(withSlow, 50)).toBeLessThan(10 * percentile(without, 50));
    // Every slow connection was closed by the gateway (none had to be given up), with 408, and
    // because of its timeout: not before half of it.
    expect(results.filter((r) => r.closedAfterMs === undefined)).toEqual([]);
    expect(results.filter((r) => r.statusLine !== 'HTTP/1.1 408 Request Timeout')).toEqual([]);
    expect(Math.min(...closedBy('head'))).toBeGreaterThan(HEADERS_TIMEOUT_MS / 2);
    expect(Math.min(...closedBy('body'))).toBeGreaterThan(REQUEST_TIMEOUT_MS / 2);
    // Heads are cut by the shorter head timeout, bodies by the request timeout.
    expect(percentile(closedBy('head'), 50)).toBeLessThan(percentile(closedBy('body'), 50));
  });

  it('refuses a head over HTTP_MAX_HEADER_BYTES with 431 and still serves normal requests', async () => {
    expect(await rawStatus(port, `GET /-/healthy HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(9000)}\r\nConnection: close\r\n\r\n`)).toBe(
      'HTTP/1.1 431 Request Header Fields Too Large',
    );
    expect(await rawStatus(port, `GET /-/healthy HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Small: ${'a'.repeat(4000)}\r\nConnection: close\r\n\r\n`)).toBe(
      'HTTP/1.1 200 OK',
    );
  });
});
