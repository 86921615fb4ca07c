import { MetricFamily, MetricType } from 'src/core/model/metric-family';
import { validatePushedFamilies } from 'src/core/consistency/validate-push';
import { checkConsistency, consistencyLookupNames, FamilyTypeRef, suspectTypeMasks } from 'src/core/consistency/check-consistency';
import { collisionCandidateKeys, findSeriesCollisions } from 'src/core/consistency/series-collisions';
import { InconsistentPushError } from 'src/core/consistency/errors';
import { planPushCheck, planPushCheckPaused } from 'src/core/consistency/push-check';
import { canonicalLabels } from 'src/core/grouping/grouping-key';

const l = (o: Record<string, string>) => Object.entries(o).map(([name, value]) => ({ name, value }));
const gauge = (name: string, labels: Record<string, string>[] = [{}], extra: Partial<MetricFamily> = {}): MetricFamily => ({
  name,
  help: '',
  type: MetricType.GAUGE,
  metric: labels.map((x) => ({ label: l(x), gauge: { value: 1 } })),
  ...extra,
});

describe('validatePushedFamilies', () => {
  it.each<[string, MetricFamily[], string]>([
    ['timestamps', [{ ...gauge('a'), metric: [{ label: [], gauge: { value: 1 }, timestampMs: 5 }] }], 'pushed metrics must not have timestamps'],
    ['invalid metric name (protobuf)', [gauge('bad-name')], 'invalid metric name "bad-name"'],
    ['empty metric name (protobuf)', [gauge('')], 'invalid metric name ""'],
    ['invalid label name', [gauge('a', [{ 'bad-label': 'x' }])], 'has a label with an invalid name: bad-label'],
    ['reserved label name', [gauge('a', [{ __res: 'x' }])], 'has a label with an invalid name: __res'],
    [
      'duplicate label',
      [
        {
          ...gauge('a'),
          metric: [
            {
              label: [
                { name: 'x', value: '1' },
                { name: 'x', value: '2' },
              ],
              gauge: { value: 1 },
            },
          ],
        },
      ],
      'two or more labels with the same name: x',
    ],
    ['value field not matching the type', [{ ...gauge('a'), metric: [{ label: [], counter: { value: 1 } }] }], 'is not a GAUGE'],
    ['duplicate series', [gauge('a', [{ x: '1' }, { x: '1' }])], 'was collected before with the same name and label values'],
    [
      'le label on a histogram',
      [{ name: 'h', help: '', type: MetricType.HISTOGRAM, metric: [{ label: l({ le: '1' }), histogram: { sampleCount: 0, sampleSum: 0, bucket: [] } }] }],
      'reserved',
    ],
    [
      'histogram suffix clash inside the push',
      [{ name: 'h', help: '', type: MetricType.HISTOGRAM, metric: [{ label: [], histogram: { sampleCount: 0, sampleSum: 0, bucket: [] } }] }, gauge('h_count')],
      'collides with metric named "h_count"',
    ],
  ])('rejects %s', (_name, families, message) => {
    expect(() => validatePushedFamilies(families)).toThrow(InconsistentPushError);
    expect(() => validatePushedFamilies(families)).toThrow(message);
  });

  it('accepts a clean push, including families without series', () => {
    expect(() => validatePushedFamilies([gauge('a', [{ x: '1' }, { x: '2' }]), { ...gauge('empty'), metric: [] }])).not.toThrow();
  });

  it('lists several problems in upstream style', () => {
    expect(() => validatePushedFamilies([gauge('bad-1'), gauge('bad-2')])).toThrow(
      /2 error\(s\) occurred:\n\* invalid metric name "bad-1"\n\* invalid metric name "bad-2"/,
    );
  });
});

describe('checkConsistency', () => {
  const G = MetricType.GAUGE;
  const C = MetricType.COUNTER;
  const H = MetricType.HISTOGRAM;
  const S = MetricType.SUMMARY;
  it.each([
    ['same name, same type', [{ name: 'a', type: G }], [{ name: 'a', type: G }], undefined],
    [
      'same name, other type',
      [{ name: 'a', type: C }],
      [{ name: 'a', type: G, where: 'group {job="x"}' }],
      'metric "a" is pushed as COUNTER but is a GAUGE in group {job="x"}',
    ],
    [
      'pushed histogram vs stored _count',
      [{ name: 'h', type: H }],
      [{ name: 'h_count', type: G }],
      'collected histogram or summary named "h" collides with metric named "h_count"',
    ],
    ['pushed summary vs stored _bucket is fine', [{ name: 's', type: S }], [{ name: 's_bucket', type: G }], undefined],
    ['pushed _sum vs stored summary', [{ name: 's_sum', type: G }], [{ name: 's', type: S }], 'metric "s_sum" collides with the summary "s"'],
    [
      'pushed gauge vs own metric of other type',
      [{ name: 'process_cpu_user_seconds_total', type: G }],
      [{ name: 'process_cpu_user_seconds_total', type: C, where: "the gateway's own metrics" }],
      "is a COUNTER in the gateway's own metrics",
    ],
  ])('%s', (_name, pushed, existing, message) => {
    if (message === undefined) {
      expect(() => checkConsistency(pushed, existing)).not.toThrow();
    } else {
      expect(() => checkConsistency(pushed, existing)).toThrow(message);
    }
  });

  it('looks up derived and base names so the store check is a few index probes', () => {
    expect(
      consistencyLookupNames([
        { name: 'h', type: MetricType.HISTOGRAM },
        { name: 'x_count', type: MetricType.GAUGE },
      ]).sort(),
    ).toEqual(['h', 'h_bucket', 'h_count', 'h_sum', 'x', 'x_count'].sort());
  });
});

describe('series collisions across groups', () => {
  it('enumerates the exposed keys of groups that could expose the same series, minus the own group', () => {
    const own = { instance: '', job: 'a' };
    const keys = collisionCandidateKeys([gauge('m', [{ instance: '', job: 'a', x: '1' }])], own);
    expect(keys).toEqual([canonicalLabels({ instance: '', job: 'a', x: '1' })]);
  });

  it('finds a pushed series another group already exposes', () => {
    const pushed = [
      gauge('m', [
        { instance: '', job: 'a', x: '1' },
        { instance: '', job: 'a', x: '2' },
      ]),
    ];
    const stored = [{ exposedLabels: { instance: '', job: 'a', x: '1' }, families: [gauge('m', [{ instance: '', job: 'a', x: '1' }])] }];
    expect(findSeriesCollisions(pushed, stored)).toEqual(['series m{instance="",job="a",x="1"} is already exposed by group {instance="",job="a",x="1"}']);
    expect(findSeriesCollisions([gauge('other', [{ instance: '', job: 'a', x: '1' }])], stored)).toEqual([]);
  });
});

describe('suspectTypeMasks', () => {
  const ALL_TYPES = [MetricType.COUNTER, MetricType.GAUGE, MetricType.SUMMARY, MetricType.UNTYPED, MetricType.HISTOGRAM, MetricType.GAUGE_HISTOGRAM];
  const NAMES = ['x', 'x_sum', 'x_count', 'x_bucket', 'y', 'y_sum', 'x_sum_count'];

  /** Deterministic pseudo-random pushes over names that derive from each other. */
  function* pushes(): Generator<FamilyTypeRef[]> {
    let seed = 7;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      // The high bits: the low bits of this generator repeat with a short period.
      return Math.floor((seed / 2147483648) * n);
    };
    for (let i = 0; i < 400; i++) {
      const names = new Set<string>();
      const count = 1 + next(3);
      const out: FamilyTypeRef[] = [];
      for (let k = 0; k < count; k++) {
        const name = NAMES[next(NAMES.length)];
        if (!names.has(name)) {
          names.add(name);
          out.push({ name, type: ALL_TYPES[next(ALL_TYPES.length)] });
        }
      }
      yield out;
    }
  }

  it('flags exactly the (name, type) pairs a single stored family would be rejected for', () => {
    let suspects = 0;
    let checked = 0;
    const mismatches: unknown[] = [];
    for (const pushed of pushes()) {
      const lookup = consistencyLookupNames(pushed);
      const masks = suspectTypeMasks(pushed, lookup);
      const flagged = new Set(lookup.flatMap((n, i) => ALL_TYPES.filter((t) => (masks[i] & (1 << t)) !== 0).map((t) => `${n}/${t}`)));
      for (const name of lookup) {
        for (const type of ALL_TYPES) {
          let throws = false;
          try {
            checkConsistency(pushed, [{ name, type }]);
          } catch {
            throws = true;
          }
          if (flagged.has(`${name}/${type}`) !== throws) {
            mismatches.push({ pushed, stored: { name, type }, rejected: throws });
          }
          checked++;
          suspects += throws ? 1 : 0;
        }
      }
    }
    expect(mismatches).toEqual([]);
    // Both outcomes must be well represented, or the comparison proves little.
    expect(suspects).toBeGreaterThan(checked / 10);
    expect(checked - suspects).toBeGreaterThan(checked / 10);
  });

  it('leaves the type a pushed name already has unsuspected', () => {
    const [mask] = suspectTypeMasks([{ name: 'up_gauge', type: MetricType.GAUGE }], ['up_gauge']);
    expect(mask).toBe(0b111111 & ~(1 << MetricType.GAUGE));
  });
});

describe('collisionCandidateKeys against its definition', () => {
  /** The definition: every subset of the series' labels keeping job and instance, as canonical keys, minus own. */
  function reference(families: MetricFamily[], own: Record<string, string>): string[] {
    const keys = new Set<string>();
    for (const mf of families) {
      for (const m of mf.metric) {
        const labels = Object.fromEntries(m.label.map((x) => [x.name, x.value]));
        const optional = Object.keys(labels).filter((n) => n !== 'job' && n !== 'instance');
        if (optional.length > 10) {
          continue;
        }
        for (let mask = 0; mask < 1 << optional.length; mask++) {
          const subset = Object.fromEntries(Object.entries(labels).filter(([n]) => !optional.includes(n) || (mask & (1 << optional.indexOf(n))) !== 0));
          keys.add(canonicalLabels(subset));
        }
      }
    }
    keys.delete(canonicalLabels(own));
    return [...keys].sort();
  }

  it('gives the same keys on random series, sorted or not, with repeated label names', () => {
    let seed = 11;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      // The high bits: the low bits of this generator repeat with a short period.
      return Math.floor((seed / 2147483648) * n);
    };
    const names = ['job', 'instance', 'a', 'b', 'B', 'le_x', 'z', '_u'];
    for (let i = 0; i < 300; i++) {
      const families: MetricFamily[] = Array.from({ length: 1 + next(3) }, (_, f) =>
        gauge(
          `m${f}`,
          Array.from({ length: 1 + next(3) }, () => {
            const labels: Record<string, string> = {};
            for (let k = 0; k < next(7); k++) {
              labels[names[next(names.length)]] = ['', 'v', 'w"q', '\\', 'tab\there\u0001', 'lone \ud800', '中文 😀', '\u2028'][next(8)];
            }
            return labels;
          }),
        ),
      );
      if (next(4) === 0) {
        // A repeated name (the last one counts), out of order.
        families[0].metric[0].label.push({ name: 'a', value: 'first' }, { name: 'a', value: 'last' });
      }
      const own = { job: 'j', instance: '' };
      expect(collisionCandidateKeys(families, own).sort()).toEqual(reference(families, own));
    }
  });
});

describe("planPushCheck against the gateway's own families", () => {
  const own: FamilyTypeRef[] = [{ name: 'process_cpu_seconds_total', type: MetricType.COUNTER, where: "the gateway's own metrics" }];

  it('needs the context exactly when a pushed family clashes with an own one, for each list it is given', () => {
    const clash = [gauge('process_cpu_seconds_total')];
    const fine = [gauge('batch_last_success')];
    // The same list twice (its index is reused), then a different list with the same name retyped.
    expect(planPushCheck(clash, { job: 'j' }, own, true).needsContext).toBe(true);
    expect(planPushCheck(clash, { job: 'j' }, own, true).needsContext).toBe(true);
    expect(planPushCheck(fine, { job: 'j' }, own, true).needsContext).toBe(false);
    const ownAsGauge: FamilyTypeRef[] = [{ ...own[0], type: MetricType.GAUGE }];
    expect(planPushCheck(clash, { job: 'j' }, ownAsGauge, true).needsContext).toBe(false);
    expect(planPushCheck(clash, { job: 'j' }, own, false).needsContext).toBe(false);
  });
});

describe('planPushCheckPaused (a large push, planned in steps)', () => {
  it('plans exactly what planPushCheck plans, pausing every few thousand series', async () => {
    const series = Array.from({ length: 9000 }, (_, i) => ({ job: 'j', instance: 'i', shard: String(i % 3), n: String(i) }));
    const families = [gauge('big', series), gauge('other', [{ job: 'j', instance: 'i', zone: 'a' }])];
    const own: FamilyTypeRef[] = [{ name: 'push_time_seconds', type: MetricType.GAUGE }];
    let pauses = 0;
    const paused = await planPushCheckPaused(families, { job: 'j', instance: 'i' }, own, true, async () => void pauses++);
    const plain = planPushCheck(families, { job: 'j', instance: 'i' }, own, true);
    expect(paused).toEqual(plain);
    expect(plain.collisionKeys.length).toBeGreaterThan(9000);
    expect(pauses).toBe(Math.floor(9001 / 2000));
  });
});
