import { listAnswerJson } from 'src/query/api-json';

/** Label sets with what JSON escapes: quotes, backslashes, control characters, a lone surrogate, non-ASCII. */
function labelSets(n: number): Record<string, string>[] {
  const odd = ['"', '\\', '\n', '\u0000', '\ud800', 'é', '😀', '</script>'];
  return Array.from({ length: n }, (_, i) => ({ __name__: `m_${i % 7}`, i: String(i), v: odd[i % odd.length] }));
}

describe('listAnswerJson', () => {
  it.each([
    ['no items', [], undefined],
    ['one label set', labelSets(1), undefined],
    ['exactly one slice', labelSets(2048), undefined],
    ['one slice and one item', labelSets(2049), undefined],
    ['many slices, with a warning', labelSets(70_000), ['results truncated due to limit']],
    ['label values', ['a', 'b"c', 'é', ''], undefined],
  ])('%s: the bytes JSON.stringify writes', async (_name, items, warnings) => {
    const envelope = warnings === undefined ? { status: 'success', data: items } : { status: 'success', data: items, warnings };
    const json = await listAnswerJson(items, warnings, () => Promise.resolve());
    expect(json.equals(Buffer.from(JSON.stringify(envelope)))).toBe(true);
  });

  it('awaits the checkpoint between slices', async () => {
    let checkpoints = 0;
    await listAnswerJson(labelSets(10_000), undefined, async () => void checkpoints++);
    expect(checkpoints).toBeGreaterThanOrEqual(5);
  });
});
