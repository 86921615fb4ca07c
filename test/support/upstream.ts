import * as path from 'node:path';
import { isExecutable, ReferenceServer, sleep, startReferenceServer } from './reference-server';

export { sleep };

/**
 * The reference implementation: Debian's `prometheus-pushgateway` (1.5.1 on this machine and in CI).
 * `PUSHGATEWAY_BIN` overrides where it is looked for; undefined when it is not installed.
 */
export function findUpstreamBinary(): string | undefined {
  const candidates = [process.env.PUSHGATEWAY_BIN, '/usr/bin/prometheus-pushgateway'];
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir !== '') {
      candidates.push(path.join(dir, 'prometheus-pushgateway'), path.join(dir, 'pushgateway'));
    }
  }
  return candidates.find((c) => c !== undefined && c !== '' && isExecutable(c));
}

/** A running upstream Pushgateway on a loopback port; stop() is SIGKILL: nothing to persist (memory only), and a 1.5.1 route may hold a hung request. */
export type UpstreamGateway = ReferenceServer;

/**
 * Starts the upstream gateway memory-only (Debian's default `--persistence.file` points at
 * /var/lib/prometheus, so it is overridden to empty) with the admin API, and waits for `/-/ready`.
 */
export function startUpstream(binary: string, extraFlags: string[] = []): Promise<UpstreamGateway> {
  return startReferenceServer({
    name: 'upstream pushgateway',
    command: binary,
    args: (port) => [`--web.listen-address=127.0.0.1:${port}`, '--persistence.file=', '--web.enable-admin-api', '--log.level=error', ...extraFlags],
    readyTimeoutMs: 10000,
    stopSignal: 'SIGKILL',
  });
}

/** One HTTP request of a scenario. Paths are sent as written (percent escapes, `+`, `//` kept). */
export interface Step {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'PATCH' | 'OPTIONS';
  path: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
}

export interface StepResult {
  status: number;
  contentType: string | null;
  text: string;
}

/** Sends one step without following redirects (a 3xx is an answer too). */
export async function send(base: string, step: Step, timeoutMs = 5000): Promise<StepResult> {
  const res = await fetch(`${base}${step.path}`, {
    method: step.method,
    body: step.body,
    headers: step.headers,
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
  });
  return { status: res.status, contentType: res.headers.get('content-type'), text: await res.text() };
}

/** Sends the steps in order, each after the previous answered. */
export async function sendAll(base: string, steps: Step[]): Promise<StepResult[]> {
  const out: StepResult[] = [];
  for (const step of steps) {
    out.push(await send(base, step));
  }
  return out;
}

/** `2xx`, `4xx`, ... */
export function statusClass(status: number): string {
  return `${Math.floor(status / 100)}xx`;
}

/** Retries `probe` until it returns true or `ms` pass (upstream applies DELETE and wipe after answering 202). */
export async function eventually(probe: () => Promise<boolean>, ms = 2000): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await probe()) {
      return true;
    }
    if (Date.now() > deadline) {
      return false;
    }
    await sleep(25);
  }
}
