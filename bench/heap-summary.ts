/**
 * Summarises a V8 heap snapshot (`.heapsnapshot`): self size by constructor, the code and source
 * each package's scripts keep (SharedFunctionInfo, bytecode, script source, by script file), and
 * the objects that retain the most (dominator tree, weak edges ignored, as DevTools does).
 *
 *   node dist/bench/heap-summary.js <file.heapsnapshot> [--top 25]
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

export interface HeapSummary {
  totalBytes: number;
  nodes: number;
  byConstructor: { key: string; count: number; bytes: number }[];
  codeByPackage: { pkg: string; bytes: number }[];
  topRetainers: { key: string; retained: number; path: string }[];
}

/** Parses and summarises one snapshot file (sizes in bytes). */
export function summarizeHeap(file: string, top = 25): HeapSummary {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const meta = snap.snapshot.meta;
  const nf = meta.node_fields.length;
  const ef = meta.edge_fields.length;
  const nType = meta.node_fields.indexOf('type');
  const nName = meta.node_fields.indexOf('name');
  const nSize = meta.node_fields.indexOf('self_size');
  const nEdges = meta.node_fields.indexOf('edge_count');
  const eType = meta.edge_fields.indexOf('type');
  const eName = meta.edge_fields.indexOf('name_or_index');
  const eTo = meta.edge_fields.indexOf('to_node');
  const nodeTypes = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const { nodes, edges, strings } = snap;
  const count = nodes.length / nf;
  const firstEdge = new Uint32Array(count + 1);
  for (let i = 0, e = 0; i < count; i++) {
    firstEdge[i] = e;
    e += nodes[i * nf + nEdges] * ef;
  }
  firstEdge[count] = edges.length;
  const typeOf = (i: number): string => nodeTypes[nodes[i * nf + nType]];
  const nameOf = (i: number): string => strings[nodes[i * nf + nName]];
  const sizeOf = (i: number): number => nodes[i * nf + nSize];
  const edgeName = (e: number): string => {
    const t = edgeTypes[edges[e + eType]];
    return t === 'element' || t === 'hidden' ? `[${edges[e + eName]}]` : strings[edges[e + eName]];
  };
  const keyOf = (i: number): string => {
    const t = typeOf(i);
    if (t === 'string' || t === 'concatenated string' || t === 'sliced string') {
      return `(${t})`;
    }
    return t === 'object' || t === 'closure' || t === 'native' || t === 'code' || t === 'hidden' || t === 'array' ? `${t}: ${nameOf(i)}` : `(${t})`;
  };

  let totalBytes = 0;
  const byKey = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < count; i++) {
    totalBytes += sizeOf(i);
    const k = keyOf(i);
    const v = byKey.get(k) ?? { count: 0, bytes: 0 };
    v.count++;
    v.bytes += sizeOf(i);
    byKey.set(k, v);
  }

  // Code per package: every SharedFunctionInfo's own size plus what hangs off it only through
  // internal edges (bytecode, scope info, feedback metadata), charged to its script's file.
  const edgeTo = (i: number, name: string): number | undefined => {
    for (let e = firstEdge[i]; e < firstEdge[i + 1]; e += ef) {
      if (edgeName(e) === name) {
        return edges[e + eTo] / nf;
      }
    }
    return undefined;
  };
  const scriptFile = new Map<number, string>();
  const codeBytes = new Map<string, number>();
  const charge = (file: string, bytes: number): void => {
    const pkg = packageOf(file);
    codeBytes.set(pkg, (codeBytes.get(pkg) ?? 0) + bytes);
  };
  // A Script is a code node with `source` and `name` edges; a SharedFunctionInfo one with a
  // `script_or_debug_info` edge (V8 11's snapshot names).
  for (let i = 0; i < count; i++) {
    if (typeOf(i) !== 'code') {
      continue;
    }
    const source = edgeTo(i, 'source');
    const name = source === undefined ? undefined : edgeTo(i, 'name');
    if (source !== undefined && name !== undefined) {
      const file = typeOf(name) === 'string' ? nameOf(name) : '';
      scriptFile.set(i, file);
      charge(file, sizeOf(i) + sizeOf(source));
    }
  }
  for (let i = 0; i < count; i++) {
    const script = typeOf(i) === 'code' ? edgeTo(i, 'script_or_debug_info') : undefined;
    if (script === undefined) {
      continue;
    }
    let bytes = sizeOf(i);
    for (const child of ['function_data', 'name_or_scope_info', 'raw_outer_scope_info_or_feedback_metadata']) {
      const c = edgeTo(i, child);
      if (c !== undefined && typeOf(c) === 'code') {
        bytes += sizeOf(c);
      }
    }
    charge(scriptFile.get(script) ?? '', bytes);
  }

  const { retained, dominator } = dominators(count, firstEdge, edges, ef, eTo, eType, edgeTypes, nf, sizeOf);
  const candidates: number[] = [];
  for (let i = 1; i < count; i++) {
    const t = typeOf(i);
    if (t === 'object' || t === 'closure' || t === 'array' || t === 'native') {
      candidates.push(i);
    }
  }
  candidates.sort((a, b) => retained[b] - retained[a]);
  const topRetainers: HeapSummary['topRetainers'] = [];
  const shown = new Set<number>();
  for (const i of candidates) {
    if (topRetainers.length >= top) {
      break;
    }
    // Skip objects whose dominator is already listed and holds nearly as much (the same tree).
    let d = dominator[i];
    let nested = false;
    while (d > 0) {
      if (shown.has(d) && retained[d] < retained[i] * 1.5) {
        nested = true;
        break;
      }
      d = dominator[d];
    }
    if (nested) {
      continue;
    }
    shown.add(i);
    topRetainers.push({ key: `${keyOf(i)} @${i}`, retained: retained[i], path: pathTo(i, dominator, firstEdge, edges, ef, eTo, nf, edgeName, keyOf) });
  }
  return {
    totalBytes,
    nodes: count,
    byConstructor: [...byKey.entries()]
      .map(([key, v]) => ({ key, ...v }))
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, top),
    codeByPackage: [...codeBytes.entries()]
      .map(([pkg, bytes]) => ({ pkg, bytes }))
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, top),
    topRetainers,
  };
}

/** `node_modules/<pkg>`, `ours: <dir>` for dist/, `node:internal` for Node's own scripts. */
function packageOf(file: string): string {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (m !== null) {
    return m[1];
  }
  const ours = /dist\/((?:src|migrations)\/[^/]+)/.exec(file);
  if (ours !== null) {
    return `ours: ${ours[1]}`;
  }
  return file === '' ? '(no script)' : file.startsWith('node:') || !file.startsWith('/') ? 'node internals' : file;
}

/** Dominator tree (Cooper, Harvey and Kennedy's iterative algorithm) and retained sizes. */
function dominators(
  count: number,
  firstEdge: Uint32Array,
  edges: number[],
  ef: number,
  eTo: number,
  eType: number,
  edgeTypes: string[],
  nf: number,
  sizeOf: (i: number) => number,
): { retained: Float64Array; dominator: Int32Array } {
  const weak = edgeTypes.indexOf('weak');
  const postorder = new Int32Array(count).fill(-1);
  const order: number[] = [];
  // Iterative DFS from the root (node 0).
  const stack: number[] = [0];
  const cursor = new Uint32Array(count);
  const seen = new Uint8Array(count);
  seen[0] = 1;
  cursor[0] = firstEdge[0];
  while (stack.length > 0) {
    const v = stack[stack.length - 1];
    if (cursor[v] < firstEdge[v + 1]) {
      const e = cursor[v];
      cursor[v] += ef;
      if (edges[e + eType] === weak) {
        continue;
      }
      const w = edges[e + eTo] / nf;
      if (seen[w] === 0) {
        seen[w] = 1;
        cursor[w] = firstEdge[w];
        stack.push(w);
      }
    } else {
      postorder[v] = order.length;
      order.push(v);
      stack.pop();
    }
  }
  const preds: number[][] = Array.from({ length: count }, () => []);
  for (let v = 0; v < count; v++) {
    if (seen[v] === 0) {
      continue;
    }
    for (let e = firstEdge[v]; e < firstEdge[v + 1]; e += ef) {
      if (edges[e + eType] !== weak) {
        preds[edges[e + eTo] / nf].push(v);
      }
    }
  }
  const idom = new Int32Array(count).fill(-1);
  idom[0] = 0;
  const intersect = (a: number, b: number): number => {
    while (a !== b) {
      while (postorder[a] < postorder[b]) {
        a = idom[a];
      }
      while (postorder[b] < postorder[a]) {
        b = idom[b];
      }
    }
    return a;
  };
  for (let changed = true; changed;) {
    changed = false;
    for (let k = order.length - 2; k >= 0; k--) {
      const v = order[k];
      let d = -1;
      for (const p of preds[v]) {
        if (idom[p] !== -1) {
          d = d === -1 ? p : intersect(p, d);
        }
      }
      if (d !== -1 && idom[v] !== d) {
        idom[v] = d;
        changed = true;
      }
    }
  }
  const retained = new Float64Array(count);
  for (const v of order) {
    retained[v] += sizeOf(v);
    if (v !== 0 && idom[v] >= 0) {
      retained[idom[v]] += retained[v];
    }
  }
  return { retained, dominator: idom };
}

/** Where node i hangs: its dominators' chain (up to four steps), each with the edge to the next. */
function pathTo(
  i: number,
  dominator: Int32Array,
  firstEdge: Uint32Array,
  edges: number[],
  ef: number,
  eTo: number,
  nf: number,
  edgeName: (e: number) => string,
  keyOf: (i: number) => string,
): string {
  const parts: string[] = [];
  let v = i;
  for (let depth = 0; depth < 4 && v > 0; depth++) {
    const d = dominator[v];
    let label = keyOf(d);
    for (let e = firstEdge[d]; e < firstEdge[d + 1]; e += ef) {
      if (edges[e + eTo] === v * nf) {
        label = `${label}.${edgeName(e)}`;
        break;
      }
    }
    parts.unshift(label);
    v = d;
  }
  return parts.join(' -> ');
}

function fmt(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
}

/** Prints a summary as text. */
export function printHeapSummary(s: HeapSummary, out: (line: string) => void): void {
  out(`heap snapshot: ${s.nodes} nodes, ${fmt(s.totalBytes)} self size in total`);
  out('by constructor (self size):');
  for (const c of s.byConstructor) {
    out(`  ${fmt(c.bytes).padStart(11)}  ${String(c.count).padStart(8)}  ${c.key}`);
  }
  out('code kept per package (script source + function infos + bytecode):');
  for (const c of s.codeByPackage) {
    out(`  ${fmt(c.bytes).padStart(11)}  ${c.pkg}`);
  }
  out('largest retainers (dominator tree):');
  for (const r of s.topRetainers) {
    out(`  ${fmt(r.retained).padStart(11)}  ${r.key}   (${r.path})`);
  }
}

if (require.main === module) {
  const [file, ...rest] = process.argv.slice(2);
  const top = rest[0] === '--top' ? Number(rest[1]) : 25;
  printHeapSummary(summarizeHeap(file, top), (l) => process.stdout.write(`${l}\n`));
}
