import { Client } from 'pg';
import { binaryArray, byteaArray, numberArray, textArray } from 'src/storage/pg-arrays';
import { itWhen, serverUrl } from '../support/test-env';

describe('array literals for pg parameters', () => {
  const texts = ['', 'plain', 'with "quotes"', 'back\\slash', '\\"', '{braces},', 'NULL', ' spaced ', 'äöü 中文', '\x01\x7f'];
  const numbers = [0, -2, 1.5, -0.25, 1e-300, 1.7976931348623157e308, NaN, Infinity, -Infinity];
  const buffers = [Buffer.alloc(0), Buffer.from([0, 1, 255]), Buffer.from('"\\{}')];

  itWhen(serverUrl() !== undefined, 'needs a PostgreSQL server (on the embedded engine every push test reads them back)')(
    'read back by PostgreSQL as the same values',
    async () => {
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
    },
  );

  itWhen(serverUrl() !== undefined, 'needs a PostgreSQL server (on the embedded engine every push test reads them back)')(
    'in binary form, read back by PostgreSQL as the same values, NULLs and empty arrays included',
    async () => {
      const client = new Client({ connectionString: serverUrl() });
      await client.connect();
      try {
        const { rows } = await client.query(
          `SELECT $1::text[] AS t, $2::float8[] AS n, $3::bytea[] AS b, $4::int2[] AS s, $5::int4[] AS i, $6::int8[] AS l,
                  $7::bool[] AS o, $8::jsonb[] AS j, $9::float8[] AS nul, $10::text[] AS e, cardinality($10::text[]) AS ec`,
          [
            binaryArray('text', texts),
            binaryArray('float8', numbers),
            binaryArray('bytea', buffers),
            binaryArray('int2', [0, -1, 32767, -32768]),
            binaryArray('int4', [0, -1, 2147483647]),
            binaryArray('int8', [0, -1, 1767225600000, Number.MAX_SAFE_INTEGER]),
            binaryArray('bool', [true, false]),
            binaryArray('jsonb', ['{"job":"a\\"b","x":"中文"}', '{}']),
            binaryArray('float8', [1, null, 2]),
            binaryArray('text', []),
          ],
        );
        const r = rows[0] as Record<string, unknown[]> & { ec: number };
        expect(r.t).toEqual(texts);
        expect(r.n.map(String)).toEqual(numbers.map(String));
        expect((r.b as Buffer[]).map((b) => b.toString('hex'))).toEqual(buffers.map((b) => b.toString('hex')));
        expect(r.s).toEqual([0, -1, 32767, -32768]);
        expect(r.i).toEqual([0, -1, 2147483647]);
        expect(r.l).toEqual(['0', '-1', '1767225600000', String(Number.MAX_SAFE_INTEGER)]);
        expect(r.o).toEqual([true, false]);
        expect(r.j).toEqual([{ job: 'a"b', x: '中文' }, {}]);
        expect(r.nul).toEqual([1, null, 2]);
        expect([r.e, r.ec]).toEqual([[], 0]);
      } finally {
        await client.end();
      }
    },
  );

  it('in binary form, byte for byte as array_send would write them, wherever a non-ASCII element sits', () => {
    // The reference: each element measured, then written (what the one-pass ASCII path must equal).
    const reference = (values: (string | null)[], oid: number, prefix: number): Buffer => {
      const parts = values.map((v) => (v === null ? null : Buffer.concat([Buffer.alloc(prefix, 1), Buffer.from(v, 'utf8')])));
      const header = Buffer.alloc(20);
      header.writeInt32BE(1, 0);
      header.writeInt32BE(values.includes(null) ? 1 : 0, 4);
      header.writeUInt32BE(oid, 8);
      header.writeInt32BE(values.length, 12);
      header.writeInt32BE(1, 16);
      const body = parts.flatMap((p) => {
        const len = Buffer.alloc(4);
        len.writeInt32BE(p === null ? -1 : p.length);
        return p === null ? [len] : [len, p];
      });
      return Buffer.concat([header, ...body]);
    };
    const odd = ['é', 'ÿ', '中', '😀', '\ud800', 'a\udc00', '\u0000', 'x'.repeat(70) + '€'];
    const cases: (string | null)[][] = [['a', 'bc', '']];
    for (const o of odd) {
      cases.push([o], ['plain', 'text', o], [o, 'plain', 'text'], ['plain', o, ''], ['', o], [o, null], ['abc', 'defgh', `${o}${o}`]);
    }
    for (const values of cases) {
      expect(binaryArray('text', values)).toEqual(reference(values, 25, 0));
      expect(
        binaryArray(
          'jsonb',
          values.map((v) => (v === null ? null : JSON.stringify(v))),
        ),
      ).toEqual(
        reference(
          values.map((v) => (v === null ? null : JSON.stringify(v))),
          3802,
          1,
        ),
      );
    }
  });

  itWhen(serverUrl() !== undefined, 'needs a PostgreSQL server (on the embedded engine every push test reads them back)')(
    'in binary form, by both string paths (all ASCII, and any non-ASCII or NULL element), read back the same',
    async () => {
      const ascii = texts.filter((t) => /^[\x00-\x7f]*$/.test(t));
      const mixed = ['plain', 'ÿ', '😀 four bytes', '', 'x'.repeat(3000)];
      const client = new Client({ connectionString: serverUrl() });
      await client.connect();
      try {
        const { rows } = await client.query(
          'SELECT $1::text[] AS a, $2::text[] AS m, $3::text[] AS n, $4::jsonb[] AS ja, $5::jsonb[] AS jn, $6::bytea[] AS bn',
          [
            binaryArray('text', ascii),
            binaryArray('text', mixed),
            binaryArray('text', ['a', null, 'b']),
            binaryArray('jsonb', ['{"a":"b"}', '{}']),
            binaryArray('jsonb', ['{"a":"b"}', null]),
            binaryArray('bytea', [Buffer.from([1]), null]),
          ],
        );
        const r = rows[0] as Record<string, unknown[]>;
        expect(ascii.length).toBeGreaterThan(5);
        expect(r.a).toEqual(ascii);
        expect(r.m).toEqual(mixed);
        expect(r.n).toEqual(['a', null, 'b']);
        expect(r.ja).toEqual([{ a: 'b' }, {}]);
        expect(r.jn).toEqual([{ a: 'b' }, null]);
        expect((r.bn as (Buffer | null)[]).map((b) => b?.toString('hex') ?? null)).toEqual(['01', null]);
      } finally {
        await client.end();
      }
    },
  );

  it('build an empty array as {}', () => {
    expect([textArray([]), numberArray([]), byteaArray([])]).toEqual(['{}', '{}', '{}']);
  });
});
