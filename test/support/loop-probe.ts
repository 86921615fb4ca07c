import { spawn } from 'node:child_process';

/** What probeDuring saw: idle `/-/healthy` waits, the waits while the request ran, and the request's answer. */
export interface Probe {
  idleMedianMs: number;
  duringMs: number[];
  queryMs: number;
  status: number;
  body: unknown;
  timedOut: boolean;
}

/**
 * Runs in a separate Node process: idle `/-/healthy` probes, then the request, with probes back
 * to back until it answers (a probe still waiting at the deadline counts with its wait so far).
 */
const PROBER = `
const [url, path, deadlineMs] = [process.argv[1], process.argv[2], Number(process.argv[3])];
const now = () => performance.now();
async function probe(signal) {
  const t = now();
  try { await (await fetch(url + '/-/healthy', { signal })).text(); } catch {}
  return now() - t;
}
(async () => {
  // One deadline for everything: a gateway still stuck in an earlier request fails fast too.
  const stop = AbortSignal.timeout(deadlineMs);
  const idle = [];
  for (let i = 0; i < 21; i++) idle.push(await probe(stop));
  idle.sort((a, b) => a - b);
  const t0 = now();
  let answer;
  // The body is parsed once probing stopped: parsing a large answer here would delay the probes.
  const query = fetch(url + path, { signal: stop })
    .then(async (r) => (answer = { status: r.status, bytes: await r.arrayBuffer(), ms: now() - t0 }))
    .catch(() => (answer = { status: 0, bytes: null, ms: now() - t0 }));
  const during = [];
  do { during.push(await probe(stop)); } while (answer === undefined && !stop.aborted);
  await query;
  const body = answer.bytes === null ? null : JSON.parse(Buffer.from(answer.bytes).toString());
  process.stdout.write(JSON.stringify({ idleMedianMs: idle[10], duringMs: during, queryMs: answer.ms,
    status: answer.status, body, timedOut: stop.aborted }));
})();
`;

/**
 * Times `/-/healthy` of the gateway at `url` while one GET of `path` runs, from a process of its
 * own (so that a gateway holding its event loop is measured from outside, and a stuck one fails
 * the test at `deadlineMs` instead of freezing it).
 */
export function probeDuring(url: string, path: string, deadlineMs: number): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', PROBER, url, path, String(deadlineMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', () => {
      try {
        resolve(JSON.parse(out) as Probe);
      } catch {
        reject(new Error(`prober printed ${out}`));
      }
    });
  });
}
