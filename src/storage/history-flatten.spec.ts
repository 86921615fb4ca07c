import { compareStrings, Labels } from 'src/core/model/labels';
import { Metric, MetricFamily, MetricType } from 'src/core/model/metric-family';
import { flattenFamilies, flattenSteps, pushTimePoint, seriesKey } from 'src/storage/history-flatten';
import { runPaused } from 'src/core/model/steps';

/** The definition, written plainly: labels as a record (last of equal names wins), empty values dropped. */
function referenceKey(name: string, labels: Labels): string {
  const all: Labels = { ...labels, __name__: name };
  return Object.keys(all)
    .sort(compareStrings)
    .map((n) => `${n}\x01${all[n].replace(/[\x01\x02]/g, (c) => `\x02${c}`)}`)
    .join('\x01');
}

function clean(labels: Labels): Labels {
  const out: Labels = {};
  for (const n of Object.keys(labels).sort(compareStrings)) {
    if (labels[n] !== '') {
      out[n] = labels[n];
    }
  }
  return out;
}

describe('flattenFamilies', () => {
  it('turns a histogram, a summary and a gauge into the series a scrape exposes', () => {
    const families: MetricFamily[] = [
      {
        name: 'h',
        help: '',
        type: MetricType.HISTOGRAM,
        metric: [
          {
            label: [
              { name: 'job', value: 'j' },
              { name: 'instance', value: '' },
            ],
            histogram: { sampleCount: 3, sampleSum: 1.5, bucket: [{ upperBound: 0.5, cumulativeCount: 1 }] },
          },
        ],
      },
      {
        name: 's',
        help: '',
        type: MetricType.SUMMARY,
        metric: [{ label: [{ name: 'a', value: 'x' }], summary: { sampleCount: 2, sampleSum: 4, quantile: [{ quantile: 0.99, value: 7 }] } }],
      },
      { name: 'g', help: '', type: MetricType.GAUGE, metric: [{ label: [{ name: 'Z', value: '\x01' }], gauge: { value: -1 } }] },
    ];
    expect(flattenFamilies(families).map((p) => [p.name, p.family, JSON.stringify(p.labels), p.key, p.value])).toEqual([
      ['h_bucket', 'h', '{"job":"j","le":"0.5"}', '__name__\x01h_bucket\x01job\x01j\x01le\x010.5', 1],
      ['h_bucket', 'h', '{"job":"j","le":"+Inf"}', '__name__\x01h_bucket\x01job\x01j\x01le\x01+Inf', 3],
      ['h_sum', 'h', '{"job":"j"}', '__name__\x01h_sum\x01job\x01j', 1.5],
      ['h_count', 'h', '{"job":"j"}', '__name__\x01h_count\x01job\x01j', 3],
      ['s', 's', '{"a":"x","quantile":"0.99"}', '__name__\x01s\x01a\x01x\x01quantile\x010.99', 7],
      ['s_sum', 's', '{"a":"x"}', '__name__\x01s_sum\x01a\x01x', 4],
      ['s_count', 's', '{"a":"x"}', '__name__\x01s_count\x01a\x01x', 2],
      ['g', 'g', '{"Z":"\\u0001"}', 'Z\x01\x02\x01\x01__name__\x01g', -1],
    ]);
  });

  it('matches the plain definition of labels and keys on random label sets', () => {
    let seed = 5;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const names = ['job', 'instance', 'A', 'a', '_b', 'le', 'quantile', 'zz', '__x'];
    const values = ['', 'v', '\x01', 'a\x02b', '"'];
    for (let i = 0; i < 500; i++) {
      const label = Array.from({ length: next(6) }, () => ({ name: names[next(names.length)], value: values[next(values.length)] }));
      const record = Object.fromEntries(label.map((l) => [l.name, l.value]));
      const type = [MetricType.GAUGE, MetricType.HISTOGRAM, MetricType.SUMMARY][next(3)];
      const metric: Metric =
        type === MetricType.GAUGE
          ? { label, gauge: { value: i } }
          : type === MetricType.HISTOGRAM
            ? {
                label,
                histogram: {
                  sampleCount: 1,
                  sampleSum: 1,
                  bucket: [
                    { upperBound: 1, cumulativeCount: 1 },
                    { upperBound: Infinity, cumulativeCount: 1 },
                  ],
                },
              }
            : { label, summary: { sampleCount: 1, sampleSum: 1, quantile: [{ quantile: 0.5, value: 1 }] } };
      for (const p of flattenFamilies([{ name: 'm', help: '', type, metric: [metric] }])) {
        const extra: Labels = {};
        if (p.name === 'm_bucket') {
          extra.le = p.labels.le;
        } else if (type === MetricType.SUMMARY && p.name === 'm') {
          extra.quantile = p.labels.quantile;
        }
        const expected = clean({ ...clean(record), ...extra });
        expect([JSON.stringify(p.labels), p.key]).toEqual([JSON.stringify(expected), referenceKey(p.name, expected)]);
        expect(seriesKey(p.name, p.labels)).toBe(p.key);
      }
    }
  });

  it('gives push_time_seconds the exposed labels without empty ones', () => {
    const p = pushTimePoint({ job: 'j', instance: '', b: '2' }, 17);
    expect([JSON.stringify(p.labels), p.key, p.value]).toEqual(['{"b":"2","job":"j"}', referenceKey('push_time_seconds', { b: '2', job: 'j' }), 17]);
  });
});

describe('flattenSteps (a large push, flattened in steps)', () => {
  it('gives what flattenFamilies gives, pausing every few thousand metrics', async () => {
    const metric = (i: number): Metric => ({ label: [{ name: 'n', value: String(i % 4500) }], counter: { value: i } });
    const families: MetricFamily[] = [{ name: 'c_total', help: '', type: MetricType.COUNTER, metric: Array.from({ length: 7000 }, (_, i) => metric(i)) }];
    let pauses = 0;
    const paused = await runPaused(flattenSteps(families), async () => void pauses++);
    expect(paused).toEqual(flattenFamilies(families));
    expect(paused).toHaveLength(4500);
    expect(pauses).toBe(3);
  });
});
