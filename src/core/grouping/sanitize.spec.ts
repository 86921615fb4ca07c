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
