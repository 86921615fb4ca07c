import { MetricFamily, MetricType } from 'src/core/model/metric-family';
import { planPushCheck } from 'src/core/consistency/push-check';
import { canonicalLabels } from 'src/core/grouping/grouping-key';
import { probeStatement, probeStatementPaused, PushWrite, Statement } from 'src/storage/push-statements';
import type { PushHistoryArgs } from 'src/storage/history-writer';

function largeWrite(series: number): { write: PushWrite; history: PushHistoryArgs } {
  const exposed = { job: 'j', instance: 'i' };
  const family: MetricFamily = {
    name: 'big',
    help: 'h',
    type: MetricType.GAUGE,
    metric: Array.from({ length: series }, (_, n) => ({
      label: [
        { name: 'instance', value: 'i' },
        { name: 'job', value: 'j' },
        { name: 'n', value: String(n) },
      ],
      gauge: { value: n },
    })),
  };
  const write: PushWrite = {
    group: { tenant: '', groupingKey: canonicalLabels(exposed), exposedLabels: exposed, exposedKey: canonicalLabels(exposed), labels: exposed },
    mode: 'replace',
    now: 1_700_000_000,
    plan: planPushCheck([family], exposed, [], true),
  };
  const history: PushHistoryArgs = {
    t: 1_700_000_000_000,
    names: family.metric.map(() => 'big'),
    families: family.metric.map(() => 'big'),
    labels: family.metric.map((_, n) => `{"n":"${n}"}`),
    keys: family.metric.map((_, n) => `__name__\x01big\x01n\x01${n}`),
    values: family.metric.map((_, n) => n),
    familyList: ['big'],
    record: true,
    days: [],
  };
  return { write, history };
}

/** Statements compared value by value, Buffers by Buffer#equals (Jest's deep equality walks them byte by byte). */
function expectSame(a: Statement, b: Statement): void {
  expect([a.name, a.text, a.values.length]).toEqual([b.name, b.text, b.values.length]);
  a.values.forEach((v, i) => {
    const w = b.values[i];
    expect(Buffer.isBuffer(v) && Buffer.isBuffer(w) ? v.equals(w) : v === w).toBe(true);
  });
}

describe('probeStatementPaused (a large push, its statement built in steps)', () => {
  it('builds exactly what probeStatement builds, pausing between its parts and large arrays', async () => {
    const { write, history } = largeWrite(12_000);
    let pauses = 0;
    const paused = await probeStatementPaused(write, history, async () => void pauses++);
    expectSame(paused, probeStatement(write, history));
    // Two between the parts, then one after each array of 10,000+ elements: the candidates and five history arrays.
    expect(pauses).toBe(2 + 1 + 5);
  });

  it('a small push is built without pauses', async () => {
    const { write, history } = largeWrite(10);
    let pauses = 0;
    const paused = await probeStatementPaused(write, history, async () => void pauses++);
    expectSame(paused, probeStatement(write, history));
    expect(pauses).toBe(2);
  });
});
