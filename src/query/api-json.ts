import { formatPromValue } from 'src/core/promql/go-format';
import type { QueryResult } from 'src/core/promql/result';

/** A value pair as Prometheus' API writes it: `[1435781451.781, "1"]` (seconds, formatted value). */
export type ApiValue = [number, string];

/** The JSON `data` object of `/api/v1/query` and `/api/v1/query_range`. */
export type ApiQueryData =
  | { resultType: 'vector'; result: { metric: Record<string, string>; value: ApiValue }[] }
  | { resultType: 'matrix'; result: { metric: Record<string, string>; values: ApiValue[] }[] }
  | { resultType: 'scalar'; result: ApiValue }
  | { resultType: 'string'; result: [number, string] };

/**
 * Serialises a query result as Prometheus' success envelope `{status, data: ApiQueryData}`:
 * `resultType` before `result`, values as strings (`"NaN"`, `"+Inf"`, no exponents), times as
 * float seconds. One JSON.stringify over light objects (label sets are not copied), which is what
 * keeps a quarter of a million points cheap. The only builder of this JSON: the differential spec
 * compares its output with Prometheus' answers.
 */
export function queryResultJson(r: QueryResult, warnings?: string[]): string {
  let data: ApiQueryData;
  switch (r.resultType) {
    case 'vector':
      data = { resultType: 'vector', result: r.result.map((s) => ({ metric: s.metric, value: pair(s.t, s.v) })) };
      break;
    case 'matrix':
      data = { resultType: 'matrix', result: r.result.map((s) => ({ metric: s.metric, values: s.points.map((p) => pair(p.t, p.v)) })) };
      break;
    case 'scalar':
      data = { resultType: 'scalar', result: pair(r.result.t, r.result.v) };
      break;
    case 'string':
      data = { resultType: 'string', result: [r.result.t / 1000, r.result.v] };
      break;
  }
  return JSON.stringify(warnings === undefined ? { status: 'success', data } : { status: 'success', data, warnings });
}

function pair(tMs: number, v: number): ApiValue {
  return [tMs / 1000, formatValue(v)];
}

/**
 * formatPromValue with a fast path: for 1e-6 <= |v| < 1e21 JavaScript's shortest round-trip
 * plain notation is exactly Go's `FormatFloat(v, 'f', -1, 64)`.
 */
export function formatValue(v: number): string {
  const abs = Math.abs(v);
  return abs >= 1e-6 && abs < 1e21 ? String(v) : formatPromValue(v);
}

/** Items encoded between two checkpoints of listAnswerJson. */
const ITEMS_PER_SLICE = 2048;

/**
 * The success envelope `{status, data, warnings?}` of a list answer (series, labels, label
 * values) as UTF-8 JSON, byte for byte what JSON.stringify writes, encoded ITEMS_PER_SLICE items
 * at a time with `checkpoint` awaited in between, then copied into one buffer slice by slice: one
 * JSON.stringify of 250k label sets (17 MB), and writing it out as one string, held the event loop
 * for a quarter of a second.
 */
export async function listAnswerJson(items: readonly unknown[], warnings: string[] | undefined, checkpoint: () => Promise<void>): Promise<Buffer> {
  const parts = ['{"status":"success","data":['];
  for (let at = 0; at < items.length; at += ITEMS_PER_SLICE) {
    if (at > 0) {
      parts.push(',');
    }
    parts.push(JSON.stringify(items.slice(at, at + ITEMS_PER_SLICE)).slice(1, -1));
    await checkpoint();
  }
  parts.push(warnings === undefined ? ']}' : `],"warnings":${JSON.stringify(warnings)}}`);
  let size = 0;
  for (let i = 0; i < parts.length; i++) {
    size += Buffer.byteLength(parts[i]);
    if (i % 32 === 31) {
      await checkpoint();
    }
  }
  const out = Buffer.allocUnsafe(size);
  let offset = 0;
  for (let i = 0; i < parts.length; i++) {
    offset += out.write(parts[i], offset);
    if (i % 32 === 31) {
      await checkpoint();
    }
  }
  return out;
}
