/**
 * Test fixtures for the PromQL specs (not used by production code): a compact series notation in
 * the style of Prometheus' promqltest `load` blocks, and result formatting for table tests.
 */

import { EvalOptions, evaluateInstant, evaluateRange } from 'src/core/promql/evaluator';
import { goQuote } from 'src/core/promql/go-format';
import type { Labels } from 'src/core/promql/labels';
import { MemorySeriesSource } from 'src/core/promql/memory-series-source';
import { parseExpr } from 'src/core/promql/parser';
import type { Sample } from 'src/core/promql/series-source';

/**
 * Expands promqltest-style value notation into samples `stepSec` apart starting at t=0:
 * `1 2 3`, `0+10x4` (0 10 20 30 40), `5-1x2` (5 4 3), `_` (no sample), `_x3` (three gaps),
 * `stale` (a stale marker), `NaN`, `Inf`, `-Inf`.
 */
export function expandValues(notation: string, stepSec: number): Sample[] {
  const out: Sample[] = [];
  let i = 0;
  for (const token of notation.trim().split(/\s+/)) {
    const gap = /^_(?:x(\d+))?$/.exec(token);
    const series = /^(-?[\d.e]+|-?Inf|NaN)([+-])([\d.e]+)x(\d+)$/.exec(token);
    if (gap) {
      i += gap[1] === undefined ? 1 : Number(gap[1]);
    } else if (token === 'stale') {
      out.push({ t: i++ * stepSec * 1000, v: NaN, stale: true });
    } else if (series) {
      const [start, sign, delta, times] = [num(series[1]), series[2], num(series[3]), Number(series[4])];
      for (let k = 0; k <= times; k++) {
        out.push({ t: i++ * stepSec * 1000, v: start + (sign === '+' ? 1 : -1) * delta * k });
      }
    } else {
      out.push({ t: i++ * stepSec * 1000, v: num(token) });
    }
  }
  return out;
}

function num(s: string): number {
  if (s === 'Inf' || s === '+Inf') {
    return Infinity;
  }
  if (s === '-Inf') {
    return -Infinity;
  }
  return Number(s);
}

/** Labels of a selector written like `name{a="b"}` (equality matchers only). */
export function labelsOf(selector: string): Record<string, string> {
  const e = parseExpr(selector);
  if (e.type !== 'VectorSelector') {
    throw new Error(`not a selector: ${selector}`);
  }
  return Object.fromEntries(e.matchers.map((m) => [m.name, m.value]));
}

/** A fresh source from `{ 'name{a="b"}': '0+10x4' }`, samples `stepSec` apart. */
export function load(stepSec: number, series: Record<string, string>): MemorySeriesSource {
  const src = new MemorySeriesSource();
  for (const [selector, values] of Object.entries(series)) {
    src.add(labelsOf(selector), expandValues(values, stepSec));
  }
  return src;
}

/** `name{a="1", b="2"}` in Prometheus' notation; `{}` for the empty set. */
export function formatSeries(labels: Labels): string {
  const { __name__: name, ...rest } = labels;
  const inner = Object.entries(rest)
    .map(([k, v]) => `${k}=${goQuote(v)}`)
    .join(', ');
  return name !== undefined && inner === '' ? name : `${name ?? ''}{${inner}}`;
}

/** Result rows of an instant query as `[series, value]`, in result order; a scalar is `['scalar', v]`. */
export async function instantRows(src: MemorySeriesSource, query: string, tSec: number, opts?: EvalOptions): Promise<[string, number | string][]> {
  const r = await evaluateInstant(query, tSec * 1000, src, opts);
  switch (r.resultType) {
    case 'vector':
      return r.result.map((s) => [formatSeries(s.metric), s.v]);
    case 'scalar':
      return [['scalar', r.result.v]];
    case 'string':
      return [['string', r.result.v]];
    case 'matrix':
      return r.result.map((s) => [formatSeries(s.metric), s.points.map((p) => `${p.v}@${p.t / 1000}`).join(' ')]);
  }
}

/** Range query rows as `[series, "v@t v@t ..."]` (t in seconds), sorted as the result is. */
export async function rangeRows(
  src: MemorySeriesSource,
  query: string,
  startSec: number,
  endSec: number,
  stepSec: number,
  opts?: EvalOptions,
): Promise<[string, string][]> {
  const r = await evaluateRange(query, startSec * 1000, endSec * 1000, stepSec * 1000, src, opts);
  return r.result.map((s) => [formatSeries(s.metric), s.points.map((p) => `${p.v}@${p.t / 1000}`).join(' ')]);
}

/**
 * Rounds floats to 12 significant digits so hand-derived expectations need not spell out
 * floating-point noise; NaN and ±Inf pass through.
 */
export function approx<T extends [string, number | string]>(rows: T[]): T[] {
  return rows.map(([k, v]) => [k, typeof v === 'number' && Number.isFinite(v) ? Number(v.toPrecision(12)) : v] as T);
}
