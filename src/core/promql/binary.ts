/**
 * Binary operators on scalars and instant vectors, following Prometheus 2.42: arithmetic (but
 * not `atan2`) and `bool` comparisons drop `__name__`, filtering comparisons keep it; vector matching via
 * `on`/`ignoring` (which always ignores `__name__`) with `group_left`/`group_right`.
 */

import { labelValue } from 'src/core/model/labels';
import type { BinaryExpr, BinaryOp, VectorMatching } from 'src/core/promql/ast';
import { isComparisonOp } from 'src/core/promql/ast';
import { PromqlEvalError } from 'src/core/promql/errors';
import { goPow } from 'src/core/promql/go-math';
import { Labels, METRIC_NAME, dropMetricName, encodePairs, labelsFromPairs, labelsKey } from 'src/core/promql/labels';
import { Vector, labelsString } from 'src/core/promql/values';
import { CHECKPOINT_EVERY } from 'src/core/promql/query-budget';

/** Per-node memo of result label sets, reused across steps. */
export interface BinaryCache {
  results: Map<string, Labels>;
}

/** A fresh cache for one binary node. */
export function newBinaryCache(): BinaryCache {
  return { results: new Map() };
}

/**
 * Applies `op` to two numbers; `keep` is false when a comparison fails. Comparisons return the
 * left value. `%` is Go's math.Mod (sign of the dividend), `^` Go's math.Pow.
 */
export function applyOp(op: BinaryOp, l: number, r: number): { value: number; keep: boolean } {
  switch (op) {
    case '+':
      return { value: l + r, keep: true };
    case '-':
      return { value: l - r, keep: true };
    case '*':
      return { value: l * r, keep: true };
    case '/':
      return { value: l / r, keep: true };
    case '%':
      return { value: l % r, keep: true };
    case '^':
      return { value: goPow(l, r), keep: true };
    case 'atan2':
      return { value: Math.atan2(l, r), keep: true };
    case '==':
      return { value: l, keep: l === r };
    case '!=':
      return { value: l, keep: l !== r };
    case '>':
      return { value: l, keep: l > r };
    case '<':
      return { value: l, keep: l < r };
    case '>=':
      return { value: l, keep: l >= r };
    case '<=':
      return { value: l, keep: l <= r };
    default:
      throw new PromqlEvalError('execution', `operator "${op}" not allowed for scalar operations`);
  }
}

/** Prometheus 2.42's shouldDropMetricName: arithmetic except atan2 drops `__name__`. */
function dropsName(op: BinaryOp): boolean {
  return !isComparisonOp(op) && op !== 'atan2';
}

/** scalar op scalar (comparisons need `bool`, enforced by the parser). */
export function scalarBinop(e: BinaryExpr, l: number, r: number): number {
  const { value, keep } = applyOp(e.op, l, r);
  return e.returnBool ? (keep ? 1 : 0) : value;
}

/** vector op scalar, or scalar op vector when `scalarOnLeft`. Filtering comparisons keep the vector's value. */
export function vectorScalarBinop(e: BinaryExpr, vec: Vector, scalar: number, scalarOnLeft: boolean): Vector {
  const out: Vector = [];
  for (const s of vec) {
    const [l, r] = scalarOnLeft ? [scalar, s.v] : [s.v, scalar];
    let { value, keep } = applyOp(e.op, l, r);
    if (isComparisonOp(e.op) && scalarOnLeft) {
      value = r;
    }
    if (e.returnBool) {
      value = keep ? 1 : 0;
      keep = true;
    }
    if (keep) {
      const labels = dropsName(e.op) || e.returnBool ? dropMetricName(s.labels) : s.labels;
      out.push({ labels, v: value });
    }
  }
  return out;
}

/** The match signature of a label set: the `on` labels, or all but the ignored ones and `__name__`. */
function signature(m: VectorMatching, labels: Labels): string {
  return m.on ? encodePairs(labels, (k) => m.labels.includes(k)) : encodePairs(labels, (k) => k !== METRIC_NAME && !m.labels.includes(k));
}

function matchedLabels(m: VectorMatching, labels: Labels): Labels {
  if (m.on) {
    return labelsFromPairs(Object.entries(labels).filter(([k]) => m.labels.includes(k)));
  }
  return labelsFromPairs(Object.entries(labels).filter(([k]) => k !== METRIC_NAME && !m.labels.includes(k)));
}

/** `and`: left elements with a matching right element. */
export function vectorAnd(m: VectorMatching, lhs: Vector, rhs: Vector): Vector {
  if (lhs.length === 0 || rhs.length === 0) {
    return [];
  }
  const right = new Set(rhs.map((s) => signature(m, s.labels)));
  return lhs.filter((s) => right.has(signature(m, s.labels)));
}

/** `or`: all left elements, then right elements whose signature no left element has. */
export function vectorOr(m: VectorMatching, lhs: Vector, rhs: Vector): Vector {
  if (lhs.length === 0) {
    return [...rhs];
  }
  if (rhs.length === 0) {
    return [...lhs];
  }
  const left = new Set(lhs.map((s) => signature(m, s.labels)));
  return [...lhs, ...rhs.filter((s) => !left.has(signature(m, s.labels)))];
}

/** `unless`: left elements without a matching right element. */
export function vectorUnless(m: VectorMatching, lhs: Vector, rhs: Vector): Vector {
  if (lhs.length === 0 || rhs.length === 0) {
    return [...lhs];
  }
  const right = new Set(rhs.map((s) => signature(m, s.labels)));
  return lhs.filter((s) => !right.has(signature(m, s.labels)));
}

/**
 * One-to-one and many-to-one/one-to-many arithmetic and comparisons between two vectors.
 * Awaits `checkpoint` every few thousand elements (the evaluator's timeout and yield). Throws
 * PromqlEvalError with Prometheus' messages for duplicate series on the "one" side and for
 * ambiguous matches.
 */
export async function vectorBinop(
  e: BinaryExpr,
  lhsIn: Vector,
  rhsIn: Vector,
  cache: BinaryCache,
  checkpoint: () => Promise<void> = async () => undefined,
): Promise<Vector> {
  const m = e.matching as VectorMatching;
  const swapped = m.card === 'one-to-many';
  const [lhs, rhs] = swapped ? [rhsIn, lhsIn] : [lhsIn, rhsIn];
  const right = new Map<string, (typeof rhs)[number]>();
  for (let i = 0; i < rhs.length; i++) {
    if (i % CHECKPOINT_EVERY === CHECKPOINT_EVERY - 1) {
      await checkpoint();
    }
    const rs = rhs[i];
    const sig = signature(m, rs.labels);
    const dup = right.get(sig);
    if (dup) {
      throw new PromqlEvalError(
        'execution',
        `found duplicate series for the match group ${labelsString(matchedLabels(m, rs.labels))} on the ${swapped ? 'left' : 'right'} hand-side of the operation: [${labelsString(rs.labels)}, ${labelsString(dup.labels)}];many-to-many matching not allowed: matching labels must be unique on one side`,
      );
    }
    right.set(sig, rs);
  }
  const matched = new Map<string, Set<string> | null>();
  const out: Vector = [];
  for (let i = 0; i < lhs.length; i++) {
    if (i % CHECKPOINT_EVERY === CHECKPOINT_EVERY - 1) {
      await checkpoint();
    }
    const ls = lhs[i];
    const sig = signature(m, ls.labels);
    const rs = right.get(sig);
    if (!rs) {
      continue;
    }
    const [vl, vr] = swapped ? [rs.v, ls.v] : [ls.v, rs.v];
    const applied = applyOp(e.op, vl, vr);
    const keep = applied.keep;
    let value = applied.value;
    if (e.returnBool) {
      value = keep ? 1 : 0;
    } else if (!keep) {
      continue;
    }
    let labels = resultLabels(e, ls.labels, rs.labels, cache);
    if (e.returnBool) {
      labels = dropMetricName(labels);
    }
    checkUnique(m, matched, sig, labels);
    out.push({ labels, v: value });
  }
  return out;
}

function checkUnique(m: VectorMatching, matched: Map<string, Set<string> | null>, sig: string, labels: Labels): void {
  const seen = matched.get(sig);
  if (m.card === 'one-to-one') {
    if (seen !== undefined) {
      throw new PromqlEvalError('execution', 'multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
    }
    matched.set(sig, null);
    return;
  }
  const key = labelsKey(labels);
  if (seen === undefined || seen === null) {
    matched.set(sig, new Set([key]));
  } else if (seen.has(key)) {
    throw new PromqlEvalError('execution', 'multiple matches for labels: grouping labels must ensure unique matches');
  } else {
    seen.add(key);
  }
}

/** Prometheus' resultMetric: the "many" side's labels, reduced for one-to-one, plus `group_x` labels from the "one" side. */
function resultLabels(e: BinaryExpr, lhs: Labels, rhs: Labels, cache: BinaryCache): Labels {
  const m = e.matching as VectorMatching;
  const cacheKey = m.include.length > 0 ? `${labelsKey(lhs)}\u0000${labelsKey(rhs)}` : labelsKey(lhs);
  let out = cache.results.get(cacheKey);
  if (out !== undefined) {
    return out;
  }
  const map = new Map(Object.entries(lhs));
  if (dropsName(e.op)) {
    map.delete(METRIC_NAME);
  }
  if (m.card === 'one-to-one') {
    for (const k of [...map.keys()]) {
      if (m.on ? !m.labels.includes(k) : m.labels.includes(k)) {
        map.delete(k);
      }
    }
  }
  for (const name of m.include) {
    const v = labelValue(rhs, name);
    if (v !== undefined && v !== '') {
      map.set(name, v);
    } else {
      map.delete(name);
    }
  }
  out = labelsFromPairs(map);
  cache.results.set(cacheKey, out);
  return out;
}
