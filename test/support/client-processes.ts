import { spawn, spawnSync } from 'node:child_process';

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to completion without blocking the event loop (an in-process gateway must keep
 * serving while a client talks to it), feeding `input` on stdin. Killed after `timeoutMs`.
 */
export function runProcess(
  command: string,
  args: string[],
  options: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { PATH: process.env.PATH ?? '', ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 15000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/**
 * A Python 3 interpreter that can import `prometheus_client` (Debian's python3-prometheus-client
 * installs into /usr/bin/python3's dist-packages, which a pyenv `python3` on PATH does not see).
 * Checked synchronously at module load, before any gateway runs.
 */
export function findPythonWithPrometheusClient(): string | undefined {
  const candidates = [process.env.PYTHON_WITH_PROMETHEUS_CLIENT, '/usr/bin/python3', 'python3'];
  return candidates.find(
    (py) => py !== undefined && py !== '' && spawnSync(py, ['-c', 'import prometheus_client'], { stdio: 'ignore', timeout: 10000 }).status === 0,
  );
}

/** True when `command --version` runs. */
export function hasCommand(command: string): boolean {
  return spawnSync(command, ['--version'], { stdio: 'ignore', timeout: 10000 }).status === 0;
}
