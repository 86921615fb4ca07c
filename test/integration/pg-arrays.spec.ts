import { Client } from 'pg';
import { byteaArray, numberArray, textArray } from 'src/storage/pg-arrays';
import { itWhen, serverUrl } from '../support/test-env';

describe('array literals for pg parameters', () => {
  const texts = ['', 'plain', 'with "quotes"', 'back\\slash', '\\"', '{braces},', 'NULL', ' spaced ', 'äöü 中文', '\x01\x7f'];
  const numbers = [0, -2, 1.5, -0.25, 1e-300, 1.7976931348623157e308, NaN, Infinity, -Infinity];
  const buffers = [Buffer.alloc(0), Buffer.from([0, 1, 255]), Buffer.from('"\\{}')];

  itWhen(serverUrl() !== undefined, 'needs a PostgreSQL server (on the embedded engine every push test reads them back)')('read back by PostgreSQL as the same values', async () => {
    const client = new Client({ connectionString: serverUrl() });
    await client.connect();
    try {
      const { rows } = await client.query<{ t: string[]; n: number[]; b: Buffer[] }>('SELECT $1::text[] AS t, $2::float8[] AS n, $3::bytea[] AS b', [
        textArray(texts),
        numberArray(numbers),
        byteaArray(buffers),
      ]);
      expect(rows[0].t).toEqual(texts);
      expect(rows[0].n.map(String)).toEqual(numbers.map(String));
      expect(rows[0].b.map((b) => b.toString('hex'))).toEqual(buffers.map((b) => b.toString('hex')));
    } finally {
      await client.end();
    }
  });

  it('build an empty array as {}', () => {
    expect([textArray([]), numberArray([]), byteaArray([])]).toEqual(['{}', '{}', '{}']);
  });
});
