/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`, e.g. `npm run bench -- --cpu-prof`):
 * self time by function and by source area, and inclusive time of our own functions.
 *
 *   node dist/bench/profile-summary.js <file.cpuprofile> [--top 25]
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: Node[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** The package (or `dist/` area, or `node:` module) a script URL belongs to. */
export function area(url: string): string {
  if (url === '') {
    return '(native/V8)';
  }
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const dist = url.indexOf('/dist/');
  if (dist >= 0) {
    return url
      .slice(dist + 6)
      .split('/')
      .slice(0, 3)
      .join('/');
  }
  if (url.startsWith('node:')) {
    return url;
  }
  return url;
}

/** `function file:line`, the file relative to `dist/` or `node_modules/`. */
export function label(n: { callFrame: Node['callFrame'] }): string {
  const url = n.callFrame.url;
  const short = url.includes('/dist/')
    ? url.slice(url.indexOf('/dist/') + 6)
    : url.includes('node_modules/')
      ? url.slice(url.lastIndexOf('node_modules/') + 13)
      : url;
  return `${n.callFrame.functionName || '(anonymous)'} ${short}:${n.callFrame.lineNumber + 1}`;
}

function main(): void {
  const args = process.argv.slice(2);
  const file = args.find((a) => !a.startsWith('--'));
  const topIndex = args.indexOf('--top');
  const top = topIndex >= 0 ? Number(args[topIndex + 1]) : 25;
  if (file === undefined) {
    process.stderr.write('usage: node dist/bench/profile-summary.js <file.cpuprofile> [--top N]\n');
    process.exit(2);
  }
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  // Self time per node from samples and time deltas (µs).
  const self = new Map<number, number>();
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    self.set(samples[i], (self.get(samples[i]) ?? 0) + (deltas[i + 1] ?? deltas[i] ?? 0));
  }
  const parent = new Map<number, number>();
  for (const n of p.nodes) {
    for (const c of n.children ?? []) {
      parent.set(c, n.id);
    }
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...self.entries()]
    .filter(([id]) => ['(idle)', '(program)'].includes(byId.get(id)?.callFrame.functionName ?? ''))
    .reduce((a, [, v]) => a + v, 0);
  const busy = total - idle;
  const pct = (us: number): string => `${((us / busy) * 100).toFixed(1).padStart(5)}%`;
  process.stdout.write(
    `profile ${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (percentages of busy time, idle/program excluded)\n\n`,
  );

  const selfByFn = new Map<string, number>();
  const selfByArea = new Map<string, number>();
  const inclusiveOwn = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id) as Node;
    const fn = n.callFrame.functionName;
    if (fn === '(idle)' || fn === '(program)') {
      continue;
    }
    selfByFn.set(label(n), (selfByFn.get(label(n)) ?? 0) + us);
    const a = fn === '(garbage collector)' ? '(garbage collector)' : area(n.callFrame.url);
    selfByArea.set(a, (selfByArea.get(a) ?? 0) + us);
    // Inclusive time of our own code (dist/src): walk up, counting each function once per sample.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const node = byId.get(cur) as Node;
      if (node.callFrame.url.includes('/dist/src/')) {
        const l = label(node);
        if (!seen.has(l)) {
          seen.add(l);
          inclusiveOwn.set(l, (inclusiveOwn.get(l) ?? 0) + us);
        }
      }
    }
  }
  const print = (title: string, m: Map<string, number>): void => {
    process.stdout.write(`${title}\n`);
    for (const [k, v] of [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      process.stdout.write(`  ${pct(v)}  ${(v / 1000).toFixed(0).padStart(7)} ms  ${k}\n`);
    }
    process.stdout.write('\n');
  };
  print('self time by area', selfByArea);
  print('self time by function', selfByFn);
  print('inclusive time of our functions (dist/src)', inclusiveOwn);
}

if (require.main === module) {
  main();
}
