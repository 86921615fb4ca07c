import { hashLabelSet, LabelSetIndex, sameLabelSet } from 'src/core/exposition/label-set-index';
import { labels } from 'src/core/exposition/testdata/factories';
import { LabelPair } from 'src/core/model/metric-family';

describe('LabelSetIndex', () => {
  it.each<[string, Record<string, string>, Record<string, string>, boolean]>([
    ['same order', { a: '1', b: '2' }, { a: '1', b: '2' }, true],
    ['different order', { a: '1', b: '2' }, { b: '2', a: '1' }, true],
    ['different value', { a: '1' }, { a: '2' }, false],
    ['subset', { a: '1', b: '2' }, { a: '1' }, false],
    ['names and values swapped', { a: 'b' }, { b: 'a' }, false],
    ['both empty', {}, {}, true],
    ['value spans the separator', { a: 'x', b: 'y' }, { a: 'x\u00ffb', b: 'y' }, false],
  ])('%s', (_name, stored, probe, found) => {
    const index = new LabelSetIndex<LabelPair[]>((l) => l);
    const value = labels(stored);
    expect(index.get(value)).toBeUndefined();
    index.add(value);
    expect(index.get(labels(probe)) === value).toBe(found);
  });

  it('keeps label sets with colliding hashes apart', () => {
    // Find two distinct label sets with the same 32-bit hash (birthday bound: ~2^16 tries).
    const seen = new Map<number, LabelPair[]>();
    let pair: [LabelPair[], LabelPair[]] | undefined;
    for (let n = 0; pair === undefined; n++) {
      const set = labels({ i: String(n) });
      const other = seen.get(hashLabelSet(set));
      if (other !== undefined) {
        pair = [other, set];
      }
      seen.set(hashLabelSet(set), set);
    }
    const index = new LabelSetIndex<LabelPair[]>((l) => l);
    const [first, second] = pair;
    index.get(first);
    index.add(first);
    expect(index.get(second)).toBeUndefined();
    index.add(second);
    expect(index.get(labels({ i: first[0].value }))).toBe(first);
    expect(index.get(labels({ i: second[0].value }))).toBe(second);
  });

  it('hash is order-independent and equality is exact', () => {
    expect(hashLabelSet(labels({ a: '1', b: '2' }))).toBe(hashLabelSet(labels({ b: '2', a: '1' })));
    expect(sameLabelSet(labels({ a: '1', b: '2' }), labels({ b: '2', a: '1' }))).toBe(true);
    expect(sameLabelSet(labels({ a: '1', b: '2' }), labels({ a: '1', c: '2' }))).toBe(false);
  });
});
