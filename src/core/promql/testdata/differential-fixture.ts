/**
 * The data set behind the differential tests: fixed, varied series (counters with resets,
 * gauges with NaN/±Inf and gaps, classic histograms including non-monotonic and negative
 * buckets, huge values, sparse series, name-only differences), one hour from T0.
 */

import type { Series } from 'src/core/promql/series-source';

/** Start of the data, in seconds. */
export const T0 = 1700000000;

type Sampler = (t: number) => number;

function every(from: number, to: number, step: number, f: Sampler): [number, number][] {
  const out: [number, number][] = [];
  for (let t = from; t <= to; t += step) {
    out.push([t, f(t)]);
  }
  return out;
}

function family(name: string, series: [Record<string, string>, [number, number][]][]): Series[] {
  return series.map(([labels, points]) => ({
    labels: { __name__: name, ...labels },
    samples: points.map(([t, v]) => ({ t: (T0 + t) * 1000, v })),
  }));
}

function buckets(): [Record<string, string>, [number, number][]][] {
  const les = ['0.05', '0.1', '0.25', '0.5', '1', '2.5', '+Inf'];
  const out: [Record<string, string>, [number, number][]][] = [];
  for (const [job, scale] of [
    ['api', 1],
    ['web', 3],
    ['odd', 2],
  ] as const) {
    les.forEach((le, i) => {
      out.push([
        { job, le },
        every(0, 3600, 15, (t) => {
          let c = Math.floor(t / 15) * scale * (i + 1) + (le === '+Inf' ? (5 * t) / 15 : 0);
          if (job === 'odd' && le === '0.5' && t > 1000) {
            c -= 50 * (i + 1); // deliberately non-monotonic
          }
          return c;
        }),
      ]);
    });
  }
  out.push([{ job: 'neg', le: '-1' }, every(0, 3600, 60, (t) => t / 60)]);
  out.push([{ job: 'neg', le: '0' }, every(0, 3600, 60, (t) => (2 * t) / 60)]);
  out.push([{ job: 'neg', le: '1' }, every(0, 3600, 60, (t) => (3 * t) / 60)]);
  out.push([{ job: 'neg', le: '+Inf' }, every(0, 3600, 60, (t) => (3 * t) / 60)]);
  out.push([{ job: 'noinf', le: '1' }, every(0, 3600, 60, (t) => t)]);
  return out;
}

/** All series of the differential data set. */
export function differentialSeries(): Series[] {
  return [
    ...family('http_requests_total', [
      [{ job: 'api', instance: 'a', method: 'get' }, every(0, 3600, 15, (t) => t * 2)],
      [{ job: 'api', instance: 'b', method: 'get' }, every(0, 3600, 15, (t) => (t < 1800 ? t * 3 : (t - 1800) * 3))],
      [{ job: 'api', instance: 'a', method: 'post' }, every(0, 3600, 30, (t) => Math.floor(t / 7) + 100)],
      [{ job: 'web', instance: 'c', method: 'get' }, every(600, 3000, 10, (t) => (t % 900) * 1.5)],
      [{ job: 'web', instance: 'd', method: 'get' }, every(0, 3600, 60, (t) => t / 60)],
    ]),
    ...family('temperature', [
      [{ room: 'a' }, every(0, 3600, 15, (t) => 20 + Math.sin(t / 300) * 5)],
      [{ room: 'b' }, every(0, 3600, 15, (t) => (t % 600 === 0 ? NaN : 18 + (t % 97) / 10))],
      [{ room: 'c' }, every(0, 3600, 60, (t) => (t === 1200 ? Infinity : t === 2400 ? -Infinity : -3 + t / 1000))],
      [{ room: 'd' }, every(0, 1200, 15, () => -5)],
      [{ room: 'e' }, [...every(0, 900, 30, () => 10), ...every(1500, 3600, 30, (t) => 11 + t / 3600)]],
    ]),
    ...family('up', [
      [{ job: 'api', instance: 'a' }, every(0, 3600, 15, () => 1)],
      [{ job: 'api', instance: 'b' }, every(0, 3600, 15, (t) => (t > 2000 && t < 2600 ? 0 : 1))],
      [{ job: 'web', instance: 'c' }, every(0, 3600, 15, () => 1)],
      [{ job: 'web', instance: 'd' }, every(0, 3600, 15, () => 0)],
    ]),
    ...family('machine_info', [
      [{ instance: 'a', os: 'linux', version: '1' }, every(0, 3600, 60, () => 1)],
      [{ instance: 'b', os: 'linux', version: '2' }, every(0, 3600, 60, () => 1)],
      [{ instance: 'c', os: 'darwin', version: '1' }, every(0, 3600, 60, () => 1)],
    ]),
    ...family('req_duration_seconds_bucket', buckets()),
    ...family('big', [
      [{ k: 'x' }, every(0, 3600, 15, (t) => 1e300 * (1 + t / 3600))],
      [{ k: 'y' }, every(0, 3600, 15, (t) => 1e300 * (1 + t / 3600))],
      [{ k: 'z' }, every(0, 3600, 15, () => -1e-300)],
    ]),
    ...family('sparse', [
      [
        { s: '1' },
        [
          [100, 1],
          [130, 4],
          [1000, 8],
          [1003, 9],
          [3000, 2],
        ],
      ],
      [{ s: '2' }, [[100, 5]]],
    ]),
    ...family('dup_a', [[{ x: '1' }, every(0, 3600, 60, () => 1)]]),
    ...family('dup_b', [[{ x: '1' }, every(0, 3600, 60, () => 2)]]),
  ];
}

/** The data set in OpenMetrics text, for `promtool tsdb create-blocks-from openmetrics`. */
export function differentialOpenMetrics(): string {
  const lines: string[] = [];
  const byName = new Map<string, Series[]>();
  for (const s of differentialSeries()) {
    const name = s.labels.__name__;
    byName.set(name, [...(byName.get(name) ?? []), s]);
  }
  const fmt = (v: number): string => (Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v));
  for (const [name, series] of byName) {
    lines.push(`# TYPE ${name} gauge`);
    for (const s of series) {
      const labels = Object.entries(s.labels)
        .filter(([k]) => k !== '__name__')
        .map(([k, v]) => `${k}="${v}"`)
        .join(',');
      for (const p of s.samples) {
        lines.push(`${name}{${labels}} ${fmt(p.v)} ${p.t / 1000}`);
      }
    }
  }
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}
