/**
 * Aggregation operators (`sum`, `topk`, `count_values`, ...) over one step's instant vector,
 * following Prometheus 2.42: groups appear in first-seen order; topk/bottomk return the original
 * series, highest (lowest) first, NaN last; `without` also drops `__name__`.
 */

import { labelValue } from 'src/core/model/labels';
import type { AggregateExpr } from 'src/core/promql/ast';
import { PromqlEvalError } from 'src/core/promql/errors';
import { formatFloat } from 'src/core/exposition/format-float';
import { formatGoFloatF, goQuote } from 'src/core/promql/go-format';
import { Labels, METRIC_NAME, encodePairs, encodeValues, labelsFromPairs, withLabels } from 'src/core/promql/labels';
import { quantile } from 'src/core/promql/functions';
import type { Sample, Vector } from 'src/core/promql/values';
import { CHECKPOINT_EVERY } from 'src/core/promql/query-budget';

/** Per-node memo of group label sets, reused across steps. */
export interface AggregationCache {
  groupLabels: Map<string, Labels>;
}

/** A fresh cache for one aggregation node. */
export function newAggregationCache(): AggregationCache {
  return { groupLabels: new Map() };
}

interface Group {
  labels: Labels;
  value: number;
  mean: number;
  count: number;
  heap: Sample[];
  values: number[];
}

/**
 * Aggregates `input` for one step. `param` is the evaluated parameter: k for topk/bottomk, φ for
 * quantile, the label name for count_values. Awaits `checkpoint` every few thousand elements (the
 * evaluator's timeout and yield; whatever it throws ends the aggregation). Throws PromqlEvalError
 * for an invalid count_values label or a k that does not fit an int64.
 */
export async function aggregate(
  e: AggregateExpr,
  input: Vector,
  param: number | string | undefined,
  cache: AggregationCache,
  checkpoint: () => Promise<void> = async () => undefined,
): Promise<Vector> {
  const fold = new AggregationFold(e, param, cache);
  await fold.add(input, checkpoint);
  return fold.finish();
}

/**
 * One step's aggregation as a fold: `add` the step's input in parts (in input order), then
 * `finish`. Adding a vector in several parts gives exactly what adding it whole gives (groups in
 * first-seen order, the same floating-point operations in the same order), which is what lets the
 * evaluator aggregate a selector page by page (see evaluator.ts, streamed aggregations).
 */
export class AggregationFold {
  private readonly k: number = 0;
  private readonly grouping: string[];
  private readonly valueLabel: string = '';
  private readonly empty: boolean = false;
  private readonly groups = new Map<string, Group>();
  private readonly ordered: Group[] = [];

  /** Throws PromqlEvalError for an invalid count_values label or a k that does not fit an int64. */
  constructor(
    private readonly e: AggregateExpr,
    private readonly param: number | string | undefined,
    private readonly cache: AggregationCache,
  ) {
    if (e.op === 'topk' || e.op === 'bottomk') {
      const f = typeof param === 'number' ? param : NaN;
      if (!(f <= 9.223372036854776e18 && f >= -9.223372036854776e18)) {
        throw new PromqlEvalError('execution', `Scalar value ${formatFloat(f)} overflows int64`);
      }
      this.k = Math.trunc(f);
      this.empty = this.k < 1;
    }
    let grouping = [...e.grouping].sort();
    if (e.op === 'count_values') {
      this.valueLabel = String(param ?? '');
      if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(this.valueLabel)) {
        throw new PromqlEvalError('execution', `invalid label name ${goQuote(this.valueLabel)}`);
      }
      if (!e.without) {
        grouping = [...grouping, this.valueLabel].sort();
      }
    }
    this.grouping = grouping;
  }

  /** Groups seen so far. */
  get size(): number {
    return this.ordered.length;
  }

  /** Folds in the next part of the step's input; awaits `checkpoint` every few thousand elements. */
  async add(input: Vector, checkpoint: () => Promise<void> = async () => undefined): Promise<void> {
    if (this.empty) {
      return;
    }
    const { e, grouping, valueLabel, groups, ordered } = this;
    for (let i = 0; i < input.length; i++) {
      if (i % CHECKPOINT_EVERY === CHECKPOINT_EVERY - 1) {
        await checkpoint();
      }
      const original = input[i];
      const s = valueLabel === '' ? original : { labels: withLabels(original.labels, { [valueLabel]: formatGoFloatF(original.v) }), v: original.v };
      const key = groupingKey(e.without, grouping, s.labels);
      const group = groups.get(key);
      if (group === undefined) {
        const g = newGroup(e, grouping, key, s, this.cache);
        groups.set(key, g);
        ordered.push(g);
      } else {
        accumulate(e.op, group, s, this.k);
      }
    }
  }

  /** The step's aggregated vector. */
  finish(): Vector {
    return this.empty ? [] : finish(this.e, this.ordered, typeof this.param === 'number' ? this.param : NaN);
  }
}

function groupingKey(without: boolean, grouping: string[], labels: Labels): string {
  if (without) {
    return encodePairs(labels, (k) => k !== METRIC_NAME && !grouping.includes(k));
  }
  return encodeValues(grouping.map((g) => labelValue(labels, g) ?? ''));
}

function groupLabelsOf(without: boolean, grouping: string[], labels: Labels): Labels {
  if (without) {
    return labelsFromPairs(Object.entries(labels).filter(([k]) => k !== METRIC_NAME && !grouping.includes(k)));
  }
  return labelsFromPairs(Object.entries(labels).filter(([k]) => grouping.includes(k)));
}

function newGroup(e: AggregateExpr, grouping: string[], key: string, s: Sample, cache: AggregationCache): Group {
  let labels = cache.groupLabels.get(key);
  if (labels === undefined) {
    labels = groupLabelsOf(e.without, grouping, s.labels);
    cache.groupLabels.set(key, labels);
  }
  const g: Group = { labels, value: s.v, mean: s.v, count: 1, heap: [], values: [] };
  switch (e.op) {
    case 'stddev':
    case 'stdvar':
      g.value = 0;
      break;
    case 'topk':
    case 'bottomk':
      g.heap = [s];
      break;
    case 'quantile':
      g.values = [s.v];
      break;
    case 'group':
      g.value = 1;
      break;
    default:
      break;
  }
  return g;
}

function accumulate(op: AggregateExpr['op'], g: Group, s: Sample, k: number): void {
  switch (op) {
    case 'sum':
      g.value += s.v;
      return;
    case 'avg':
      return accumulateMean(g, s.v);
    case 'max':
      if (g.value < s.v || Number.isNaN(g.value)) {
        g.value = s.v;
      }
      return;
    case 'min':
      if (g.value > s.v || Number.isNaN(g.value)) {
        g.value = s.v;
      }
      return;
    case 'count':
    case 'count_values':
      g.count++;
      return;
    case 'stddev':
    case 'stdvar': {
      g.count++;
      const delta = s.v - g.mean;
      g.mean += delta / g.count;
      g.value += delta * (s.v - g.mean);
      return;
    }
    case 'topk':
      return offer(g.heap, s, k, topkLess);
    case 'bottomk':
      return offer(g.heap, s, k, bottomkLess);
    case 'quantile':
      g.values.push(s.v);
      return;
    case 'group':
      return;
  }
}

/** Incremental mean that keeps an infinite mean instead of turning it into NaN. */
function accumulateMean(g: Group, v: number): void {
  g.count++;
  if (g.mean === Infinity || g.mean === -Infinity) {
    if ((v === Infinity || v === -Infinity) && g.mean > 0 === v > 0) {
      return;
    }
    if (Number.isFinite(v)) {
      return;
    }
  }
  // Dividing both terms by the count avoids overflowing to Inf on large values.
  g.mean += v / g.count - g.mean / g.count;
}

function finish(e: AggregateExpr, groups: Group[], q: number): Vector {
  const out: Vector = [];
  for (const g of groups) {
    switch (e.op) {
      case 'avg':
        out.push({ labels: g.labels, v: g.mean });
        break;
      case 'count':
      case 'count_values':
        out.push({ labels: g.labels, v: g.count });
        break;
      case 'stdvar':
        out.push({ labels: g.labels, v: g.value / g.count });
        break;
      case 'stddev':
        out.push({ labels: g.labels, v: Math.sqrt(g.value / g.count) });
        break;
      case 'topk':
      case 'bottomk':
        out.push(...sortedHeap(g.heap, e.op === 'topk' ? topkLess : bottomkLess).map((s) => ({ labels: s.labels, v: s.v })));
        break;
      case 'quantile':
        out.push({ labels: g.labels, v: quantile(q, g.values) });
        break;
      default:
        out.push({ labels: g.labels, v: g.value });
    }
  }
  return out;
}

type Less = (a: Sample, b: Sample) => boolean;

/** topk keeps a min-heap (smallest on top); NaN counts as smallest. */
const topkLess: Less = (a, b) => Number.isNaN(a.v) || a.v < b.v;
/** bottomk keeps a max-heap (largest on top); NaN counts as largest. */
const bottomkLess: Less = (a, b) => Number.isNaN(a.v) || a.v > b.v;

/**
 * Adds `s` to a heap of at most k samples; when full, `s` replaces the top if it ranks higher,
 * by a Go container/heap Pop then Push (the order of equal values depends on it, and this is
 * what Prometheus 2.42's answers show).
 */
function offer(heap: Sample[], s: Sample, k: number, less: Less): void {
  if (heap.length >= k) {
    const top = heap[0];
    const replaces = less === topkLess ? top.v < s.v : top.v > s.v;
    if (!replaces && !(Number.isNaN(top.v) && !Number.isNaN(s.v))) {
      return;
    }
    const last = heap.length - 1;
    [heap[0], heap[last]] = [heap[last], heap[0]];
    siftDown(heap, 0, less, last);
    heap.pop();
  }
  heap.push(s);
  siftUp(heap, heap.length - 1, less);
}

function siftUp(h: Sample[], start: number, less: Less): void {
  let j = start;
  for (;;) {
    const i = Math.trunc((j - 1) / 2);
    if (i === j || !less(h[j], h[i])) {
      return;
    }
    [h[i], h[j]] = [h[j], h[i]];
    j = i;
  }
}

function siftDown(h: Sample[], start: number, less: Less, n: number): void {
  let i = start;
  for (;;) {
    const left = 2 * i + 1;
    if (left >= n) {
      return;
    }
    let j = left;
    if (left + 1 < n && less(h[left + 1], h[left])) {
      j = left + 1;
    }
    if (!less(h[j], h[i])) {
      return;
    }
    [h[i], h[j]] = [h[j], h[i]];
    i = j;
  }
}

/** The heap in reverse heap order (best first, NaN last), stable as Go's insertion sort is. */
function sortedHeap(heap: Sample[], less: Less): Sample[] {
  return [...heap].sort((a, b) => {
    if (Number.isNaN(a.v) && Number.isNaN(b.v)) {
      return 0;
    }
    return less(b, a) ? -1 : less(a, b) ? 1 : 0;
  });
}
