import { MetricFamily, MetricType } from 'src/core/model/metric-family';
import { encodeFamilyDelimited, parseProtobufDelimited } from 'src/core/exposition/protobuf-delimited';
import { encodeSamples } from 'src/core/exposition/text-encoder';
import { parseText } from 'src/core/exposition/text-parser';
import { mergeGroups, PreparedGroup, prepareGroup, renderProtobuf, renderText, ProtobufGroup } from 'src/core/scrape/render';

function group(job: string, families: MetricFamily[], pushTime = 100): PreparedGroup {
  return prepareGroup({
    exposedLabels: { instance: '', job },
    pushTime,
    pushFailureTime: 0,
    families: families.map((mf) => ({ name: mf.name, type: mf.type, help: mf.help, exposition: encodeSamples(mf) })),
  });
}

function pbGroup(job: string, families: MetricFamily[], pushTime = 100): ProtobufGroup {
  return {
    exposedLabels: { instance: '', job },
    pushTime,
    pushFailureTime: 0,
    families: families.map((mf) => ({ name: mf.name, type: mf.type, help: mf.help, body: encodeFamilyDelimited(mf) })),
  };
}

const g = (job: string, help: string, value: number): MetricFamily => ({
  name: 'shared',
  help,
  type: MetricType.GAUGE,
  metric: [
    {
      label: [
        { name: 'instance', value: '' },
        { name: 'job', value: job },
      ],
      gauge: { value },
    },
  ],
});

describe('mergeGroups and rendering', () => {
  it('merges a family across groups in grouping-key order with a deterministic HELP, whatever the input order', () => {
    const a = group('a', [g('a', 'help from a', 1)]);
    const b = group('b', [g('b', 'help from b', 2)]);
    for (const groups of [
      [a, b],
      [b, a],
    ]) {
      const text = renderText(mergeGroups(groups), []).toString();
      expect(text).toContain('# HELP shared help from a\n# TYPE shared gauge\nshared{instance="",job="a"} 1\nshared{instance="",job="b"} 2\n');
    }
  });

  it('adds push_time_seconds and push_failure_time_seconds per group', () => {
    const text = renderText(mergeGroups([group('a', [], 1795660281.0200646)]), []).toString();
    expect(text).toContain('push_time_seconds{instance="",job="a"} 1.7956602810200646e+09\n');
    expect(text).toContain('push_failure_time_seconds{instance="",job="a"} 0\n');
  });

  it('skips a group whose family type disagrees instead of breaking the scrape', () => {
    const other: MetricFamily = { ...g('b', '', 2), type: MetricType.COUNTER, metric: [{ label: g('b', '', 2).metric[0].label, counter: { value: 2 } }] };
    const families = parseText(renderText(mergeGroups([group('a', [g('a', '', 1)]), group('b', [other])]), []).toString());
    expect(families.find((f) => f.name === 'shared')?.metric).toHaveLength(1);
  });

  it('merges own and pushed families of the same name under the own HELP, sorted', () => {
    const own: MetricFamily[] = [
      { name: 'zz_own', help: 'own', type: MetricType.GAUGE, metric: [{ label: [], gauge: { value: 3 } }] },
      { name: 'shared', help: 'own help', type: MetricType.GAUGE, metric: [{ label: [], gauge: { value: 9 } }] },
    ];
    const families = parseText(renderText(mergeGroups([group('a', [g('a', 'pushed', 1)])]), own).toString());
    expect(families.map((f) => f.name)).toEqual(['push_failure_time_seconds', 'push_time_seconds', 'shared', 'zz_own']);
    expect(families[2]).toMatchObject({ help: 'own help' });
    expect(families[2].metric).toHaveLength(2);
  });

  it('renders protobuf with one message per family by concatenating stored bodies', () => {
    const families = parseProtobufDelimited(renderProtobuf([pbGroup('b', [g('b', 'help from b', 2)]), pbGroup('a', [g('a', 'help from a', 1)])], []));
    const shared = families.find((f) => f.name === 'shared');
    expect(shared?.help).toBe('help from a');
    expect(shared?.metric.map((m) => m.gauge?.value)).toEqual([1, 2]);
    expect(families.filter((f) => f.name === 'push_time_seconds')[0].metric).toHaveLength(2);
  });

  it('keeps the Buffer of a family no group changed, so per-Buffer caches stay valid', () => {
    const a = group('a', [g('a', 'x', 1)]);
    const first = mergeGroups([a, group('b', [])]);
    const second = mergeGroups([a, group('b', [{ ...g('b', 'x', 2), name: 'other' }])], first);
    expect(second.find((f) => f.name === 'shared')).toBe(first.find((f) => f.name === 'shared'));
    expect(second.find((f) => f.name === 'push_time_seconds')?.text.equals(first.find((f) => f.name === 'push_time_seconds')!.text)).toBe(true);
  });

  it('with bind, holds each text once as a range of the merged Buffer, and re-merges to the same bytes', () => {
    const a = group('a', [g('a', 'x', 1)]);
    const b = group('b', [g('b', 'x', 2)]);
    const plain = renderText(mergeGroups([a, b]), []);
    const first = mergeGroups([a, b], [], true);
    const shared = first.find((f) => f.name === 'shared')!;
    expect(a.families[0].text.buffer).toBe(shared.text);
    expect(b.families[0].text.buffer).toBe(shared.text);
    expect(renderText(first, []).equals(plain)).toBe(true);
    const b2 = group('b', [g('b', 'x', 3)]);
    const second = mergeGroups([a, b2], first, true);
    expect(a.families[0].text.buffer).toBe(second.find((f) => f.name === 'shared')!.text);
    expect(renderText(second, []).equals(renderText(mergeGroups([group('a', [g('a', 'x', 1)]), group('b', [g('b', 'x', 3)])]), []))).toBe(true);
    expect(a.families[0].text.toString()).toBe(encodeSamples(g('a', 'x', 1)));
  });

  it('with bind, detaches a text left out for its type, so it keeps no merged Buffer alive', () => {
    const a = group('a', [g('a', 'x', 1)]);
    const counter: MetricFamily = {
      ...g('b', 'x', 2),
      type: MetricType.COUNTER,
      metric: [{ ...g('b', 'x', 2).metric[0], gauge: undefined, counter: { value: 2 } }],
    };
    const b = group('b', [counter]);
    const lines = encodeSamples(counter);
    b.families[0].text.bindTo(Buffer.from(`old ${lines}`), 4, 4 + Buffer.byteLength(lines));
    mergeGroups([a, b], [], true);
    expect(b.families[0].text.buffer).toBeUndefined();
    expect(b.families[0].text.toString()).toBe(lines);
  });

  it('drops families without series from both formats', () => {
    const empty: MetricFamily = { name: 'empty', help: 'h', type: MetricType.GAUGE, metric: [] };
    expect(renderText(mergeGroups([group('a', [empty])]), []).toString()).not.toContain('empty');
    expect(parseProtobufDelimited(renderProtobuf([pbGroup('a', [empty])], [])).map((f) => f.name)).not.toContain('empty');
  });
});
