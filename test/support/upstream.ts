import { ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import * as path from 'node:path';
import { freePort } from './gateway';

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

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A running upstream Pushgateway on a loopback port. */
export interface UpstreamGateway {
  url: string;
  proc: ChildProcess;
  output(): string;
  /** SIGKILL: nothing to persist (memory only), and a 1.5.1 route may hold a hung request. */
  stop(): Promise<void>;
}

/**
 * Starts the upstream gateway memory-only (Debian's default `--persistence.file` points at
 * /var/lib/prometheus, so it is overridden to empty) with the admin API, and waits for `/-/ready`.
 */
export async function startUpstream(binary: string, extraFlags: string[] = []): Promise<UpstreamGateway> {
  const port = await freePort();
  let log = '';
  const proc = spawn(
    binary,
    [`--web.listen-address=127.0.0.1:${port}`, '--persistence.file=', '--web.enable-admin-api', '--log.level=error', ...extraFlags],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  proc.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        resolve();
        return;
      }
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    });
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) {
      throw new Error(`upstream pushgateway exited with ${proc.exitCode}:\n${log}`);
    }
    try {
      if ((await fetch(`${url}/-/ready`)).status === 200) {
        return { url, proc, output: () => log, stop };
      }
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  await stop();
  throw new Error(`upstream pushgateway at ${url} not ready after 10s:\n${log}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** One HTTP request of a scenario. Paths are sent as written (percent escapes, `+`, `//` kept). */
export interface Step {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'PATCH';
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
