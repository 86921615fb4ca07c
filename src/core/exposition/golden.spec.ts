import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeFamily } from 'src/core/exposition/text-encoder';
import { parseText } from 'src/core/exposition/text-parser';
import { MetricFamily } from 'src/core/model/metric-family';

const TESTDATA = join(__dirname, 'testdata');
/** JSON cannot hold these; golden files spell them as Go prints them. */
const SPECIAL: Record<string, number> = { NaN: NaN, '+Inf': Infinity, '-Inf': -Infinity };
const NUMERIC_KEYS = new Set(['value', 'upperBound', 'quantile', 'sampleSum']);

function expected(name: string): MetricFamily[] {
  const text = readFileSync(join(TESTDATA, `${name}.json`), 'utf8');
  return JSON.parse(text, (key, v: unknown) => (NUMERIC_KEYS.has(key) && typeof v === 'string' && v in SPECIAL ? SPECIAL[v] : v)) as MetricFamily[];
}

function input(name: string): string {
  return readFileSync(join(TESTDATA, `${name}.prom`), 'utf8');
}

describe('golden exposition files (testdata/<case>.prom ↔ <case>.json)', () => {
  it.each(['pushgateway-readme', 'all-types'])('%s parses to the expected families', (name) => {
    expect(parseText(input(name))).toEqual(expected(name));
  });

  it.each(['pushgateway-readme', 'all-types'])('%s is re-encoded byte for byte', (name) => {
    // The .prom files are written in Go's canonical form (HELP before TYPE, Go float formatting).
    expect(parseText(input(name)).map(encodeFamily).join('')).toBe(input(name));
  });
});
