import { countSampleLines, storeCounts } from 'src/core/status-page/store-counts';

describe('countSampleLines', () => {
  it.each([
    ['empty', '', 0],
    ['one line', 'a 1\n', 1],
    ['three lines', 'a 1\nb 2\nc 3\n', 3],
    ['a last line without newline', 'a 1\nb 2', 2],
    ['a value holding an escaped newline', 'a{v="x\\ny"} 1\n', 1],
  ])('%s', (_name, text, expected) => {
    expect(countSampleLines(text)).toBe(expected);
  });
});

describe('storeCounts', () => {
  it('adds up groups, families and sample lines', () => {
    const groups = [
      { families: [{ exposition: 'a 1\n' }, { exposition: 'b_bucket{le="1"} 1\nb_bucket{le="+Inf"} 1\nb_sum 1\nb_count 1\n' }] },
      { families: [] },
    ];
    expect(storeCounts(groups)).toEqual({ groups: 2, families: 2, series: 5 });
    expect(storeCounts([])).toEqual({ groups: 0, families: 0, series: 0 });
  });
});
