/**
 * Summarises a sampling heap profile (from push-profile's `--alloc-prof`, or Chrome's DevTools):
 * bytes allocated per push by package and by function (self), and inclusive for our own functions.
 *
 *   node dist/bench/alloc-summary.js <file.heapprofile> [--per N] [--top 25]
 *
 * --per N divides every figure by N (the number of pushes the profile covers).
 */
import { readFileSync } from 'node:fs';
import { area, label } from './profile-summary';

interface AllocNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: AllocNode[];
}

/** Bytes by key, printed per unit (`per`) in KiB, largest first. */
export type Tally = Map<string, number>;

export interface AllocSummary {
  totalBytes: number;
  byArea: Tally;
  byFunction: Tally;
  inclusiveOwn: Tally;
}

export function summariseAllocations(profile: { head: AllocNode }): AllocSummary {
  const s: AllocSummary = { totalBytes: 0, byArea: new Map(), byFunction: new Map(), inclusiveOwn: new Map() };
  const add = (m: Tally, k: string, v: number): void => {
    m.set(k, (m.get(k) ?? 0) + v);
  };
  // Iterative walk: allocation stacks can be deep. Each entry carries our functions above it.
  const stack: { node: AllocNode; own: string[] }[] = [{ node: profile.head, own: [] }];
  while (stack.length > 0) {
    const { node, own } = stack.pop() as { node: AllocNode; own: string[] };
    const here = label(node);
    const ownHere = node.callFrame.url.includes('/dist/src/') && !own.includes(here) ? [...own, here] : own;
    if (node.selfSize > 0) {
      s.totalBytes += node.selfSize;
      add(s.byArea, area(node.callFrame.url), node.selfSize);
      add(s.byFunction, here, node.selfSize);
      ownHere.forEach((f) => add(s.inclusiveOwn, f, node.selfSize));
    }
    node.children.forEach((child) => stack.push({ node: child, own: ownHere }));
  }
  return s;
}

export function formatAllocations(s: AllocSummary, per: number, top: number): string {
  const kib = (b: number): string => `${(b / per / 1024).toFixed(1).padStart(7)} KiB`;
  const list = (title: string, m: Tally): string =>
    `${title}\n${[...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => `  ${kib(v)}  ${k}`)
      .join('\n')}\n`;
  return (
    `allocated ${kib(s.totalBytes).trim()}${per === 1 ? '' : ' per push'} (sampled; freed objects included)\n` +
    list('by package', s.byArea) +
    list('by function (self)', s.byFunction) +
    list('our functions (inclusive)', s.inclusiveOwn)
  );
}

function main(): void {
  const args = process.argv.slice(2);
  const file = args.find((a, i) => !a.startsWith('--') && !['--per', '--top'].includes(args[i - 1]));
  const opt = (name: string, fallback: number): number => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
  if (file === undefined) {
    process.stderr.write('usage: node dist/bench/alloc-summary.js <file.heapprofile> [--per N] [--top N]\n');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { head: AllocNode };
  process.stdout.write(formatAllocations(summariseAllocations(profile), opt('--per', 1), opt('--top', 25)));
}

if (require.main === module) {
  main();
}
