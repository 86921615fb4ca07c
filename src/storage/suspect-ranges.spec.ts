import { suspectRanges } from 'src/storage/push-statements';

describe('suspectRanges', () => {
  it('splits each mask into runs of consecutive types', () => {
    // GAUGE pushed: every type but 1; histogram-derived name: all six; a base name: 2 and 4..5; nothing.
    expect(suspectRanges([0b111101, 0b111111, 0b110100, 0])).toEqual({ idx: [1, 1, 2, 3, 3], lo: [0, 2, 0, 2, 4], hi: [0, 5, 5, 2, 5] });
  });

  it('covers exactly the bits of every 6-bit mask', () => {
    for (let mask = 0; mask < 64; mask++) {
      const { lo, hi } = suspectRanges([mask]);
      let covered = 0;
      lo.forEach((l, i) => {
        for (let t = l; t <= hi[i]; t++) {
          covered |= 1 << t;
        }
      });
      expect([mask, covered]).toEqual([mask, mask]);
    }
  });
});
