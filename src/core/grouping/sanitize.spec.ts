import { sanitizeFamilies } from 'src/core/grouping/sanitize';
import { MetricType } from 'src/core/model/metric-family';

describe('sanitizeFamilies', () => {
  it('keeps body labels named like Object.prototype members; grouping labels still win', () => {
    const [mf] = sanitizeFamilies(
      [
        {
          name: 'm',
          help: '',
          type: MetricType.GAUGE,
          metric: [
            {
              label: [
                { name: 'constructor', value: 'c' },
                { name: 'toString', value: 't' },
                { name: 'job', value: 'body' },
              ],
              gauge: { value: 1 },
            },
          ],
        },
      ],
      { job: 'j' },
    );
    expect(mf.metric[0].label).toEqual([
      { name: 'constructor', value: 'c' },
      { name: 'instance', value: '' },
      { name: 'job', value: 'j' },
      { name: 'toString', value: 't' },
    ]);
  });
});

describe('sanitizeFamilies label order', () => {
  // A small deterministic generator, so a failure names a reproducible case.
  let seed = 12345;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };

  it('sorts every series by label name, below and above the insertion-sort limit, as Array#sort would', () => {
    for (let trial = 0; trial < 300; trial++) {
      const count = random(26);
      const names = new Set<string>();
      while (names.size < count) {
        names.add(`${'abcdefghij'[random(10)]}${random(50)}`);
      }
      const label = [...names].map((name) => ({ name, value: `v_${name}` }));
      const [mf] = sanitizeFamilies([{ name: 'm', help: '', type: MetricType.GAUGE, metric: [{ label, gauge: { value: 1 } }] }], {
        job: 'j',
        zone: 'z',
      });
      const expected = [...label.filter((l) => l.name !== 'job' && l.name !== 'zone'), { name: 'job', value: 'j' }, { name: 'zone', value: 'z' }];
      if (!expected.some((l) => l.name === 'instance')) {
        expected.push({ name: 'instance', value: '' });
      }
      expected.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      expect(mf.metric[0].label).toEqual(expected);
    }
  });
});
