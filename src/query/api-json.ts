import { formatPromValue } from 'src/core/promql/go-format';
import type { QueryResult } from 'src/core/promql/result';

/**
 * Serialises a query result as Prometheus' success envelope, straight into one string (no
 * intermediate objects: a range query over 1k series has a quarter of a million points). Same
 * output as JSON.stringify({status, data: toApiData(r)}): `resultType` before `result`, values as
 * strings (`"NaN"`, `"+Inf"`), times as float seconds.
 */
export function queryResultJson(r: QueryResult, warnings?: string[]): string {
  let data: string;
  switch (r.resultType) {
    case 'vector':
      data = `{"resultType":"vector","result":[${r.result.map((s) => `{"metric":${JSON.stringify(s.metric)},"value":${pair(s.t, s.v)}}`).join(',')}]}`;
      break;
    case 'matrix':
      data = `{"resultType":"matrix","result":[${r.result
        .map((s) => `{"metric":${JSON.stringify(s.metric)},"values":[${s.points.map((p) => pair(p.t, p.v)).join(',')}]}`)
        .join(',')}]}`;
      break;
    case 'scalar':
      data = `{"resultType":"scalar","result":${pair(r.result.t, r.result.v)}}`;
      break;
    case 'string':
      data = `{"resultType":"string","result":[${r.result.t / 1000},${JSON.stringify(r.result.v)}]}`;
      break;
  }
  return `{"status":"success","data":${data}${warnings === undefined ? '' : `,"warnings":${JSON.stringify(warnings)}`}}`;
}

function pair(tMs: number, v: number): string {
  return `[${tMs / 1000},"${formatValue(v)}"]`;
}

/**
 * formatPromValue with a fast path: for 1e-6 <= |v| < 1e21 JavaScript's shortest round-trip
 * plain notation is exactly Go's `FormatFloat(v, 'f', -1, 64)`.
 */
export function formatValue(v: number): string {
  const abs = Math.abs(v);
  return abs >= 1e-6 && abs < 1e21 ? String(v) : formatPromValue(v);
}
