import { ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { freePort } from './gateway';

/** A reference implementation (upstream Pushgateway, Prometheus) running on a loopback port. */
export interface ReferenceServer {
  url: string;
  proc: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

export interface ReferenceSpec {
  /** For error messages. */
  name: string;
  command: string;
  /** Command-line arguments for the free port chosen. */
  args(port: number): string[];
  readyTimeoutMs: number;
  /** SIGKILL at once, or SIGTERM with SIGKILL after 5 s. */
  stopSignal: 'SIGKILL' | 'SIGTERM';
}

export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Starts the server, collects its output, and waits until `/-/ready` answers 200. */
export async function startReferenceServer(spec: ReferenceSpec): Promise<ReferenceServer> {
  const port = await freePort();
  let log = '';
  const proc = spawn(spec.command, spec.args(port), { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        resolve();
        return;
      }
      const timer = spec.stopSignal === 'SIGKILL' ? undefined : setTimeout(() => proc.kill('SIGKILL'), 5000);
      proc.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      proc.kill(spec.stopSignal);
    });
  const deadline = Date.now() + spec.readyTimeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) {
      throw new Error(`${spec.name} exited with ${proc.exitCode}:\n${log}`);
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
  throw new Error(`${spec.name} at ${url} not ready after ${spec.readyTimeoutMs / 1000} s:\n${log}`);
}
