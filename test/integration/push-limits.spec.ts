import request from 'supertest';
import { useGateway } from '../support/gateway';
import { pushedLines } from '../support/scrape';
import { MAX_FAMILIES_PER_PUSH, MAX_INDEXED_BYTES, MAX_SERIES_PER_PUSH } from 'src/storage/storable-sizes';
import { encodeProtobufDelimited } from 'src/core/exposition/protobuf-delimited';
import { family, gauge } from 'src/core/exposition/testdata/factories';
import { MetricType } from 'src/core/model/metric-family';

const PB = { 'Content-Type': 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited' };

/**
 * Pushes the store cannot index, and pushes that would have filled PostgreSQL's shared lock table
 * (found by a hostile-input campaign, 2026-12-04): each answered 500 before. Now a push whose
 * grouping key, metric name or series labels exceed what a B-tree index entry holds is refused
 * with a 400 that writes nothing (src/storage/storable-sizes.ts), and a push of thousands of metric
 * names takes one lock covering every name instead of one lock per name (push.v4.sql).
 */
/** A delimited protobuf MetricFamily with a name, type gauge and no metric. */
function emptyFamily(name: string): Buffer {
  const nameBytes = Buffer.from(name);
  const varint = (n: number): number[] => (n < 128 ? [n] : [(n & 0x7f) | 0x80, ...varint(n >>> 7)]);
  const message = Buffer.concat([Buffer.from([0x0a, ...varint(nameBytes.length)]), nameBytes, Buffer.from([0x18, 0x01])]);
  return Buffer.concat([Buffer.from(varint(message.length)), message]);
}

describe('push size limits and lock bounds', () => {
  const gw = useGateway();
  const scrape = async (): Promise<string[]> => pushedLines((await request(gw.url).get('/metrics').expect(200)).text);
  // Every stored group, failure-only ones included (upstream's JSON API lists those too).
  const groups = async (): Promise<number> => ((await request(gw.url).get('/api/v1/metrics').expect(200)).body.data as unknown[]).length;

  it('refuses a grouping label value too long to index with a 400, storing nothing (not even a failure time)', async () => {
    const before = await groups();
    const res = await request(gw.url)
      .put(`/metrics/job/limits/big/${'v'.repeat(MAX_INDEXED_BYTES)}`)
      .send('m 1\n');
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/grouping key takes \d+ bytes, more than the 2400/);
    // An invalid body under such a key: still the key's 400, and no failure row either.
    await request(gw.url)
      .put(`/metrics/job/limits/big/${'w'.repeat(MAX_INDEXED_BYTES)}`)
      .send('not a metric line\n')
      .expect(400);
    expect(await groups()).toBe(before);
  });

  it('refuses series labels and metric names too long to index, storing nothing; just below the limit is stored', async () => {
    const before = await scrape();
    const long = 'x'.repeat(MAX_INDEXED_BYTES);
    let res = await request(gw.url).put('/metrics/job/limits_body').send(`lim_metric{detail="${long}"} 1\n`);
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/a series of "lim_metric" \(its name and labels\) takes at least 2416 bytes/);
    res = await request(gw.url)
      .put('/metrics/job/limits_body')
      .send(`${'n'.repeat(MAX_INDEXED_BYTES + 1)} 1\n`);
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/a series of "n{80}"… \(its name and labels\) takes at least 2401 bytes/);
    // Few characters, many bytes: only the exact check, on the stored key, finds it.
    res = await request(gw.url)
      .put('/metrics/job/limits_body')
      .send(`lim_metric{detail="${'€'.repeat(800)}"} 1\n`);
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/label set of a series of "lim_metric" takes \d+ bytes, more than the 2400/);
    // A protobuf family without series has a name but no series: the exact check on names finds it.
    res = await request(gw.url)
      .put('/metrics/job/limits_body')
      .set('Content-Type', 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited')
      .send(emptyFamily('p'.repeat(MAX_INDEXED_BYTES + 1)));
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/name of metric family "p{80}"… takes 2401 bytes/);
    expect(await scrape()).toEqual(before);
    const fits = 'y'.repeat(2000);
    await request(gw.url).put('/metrics/job/limits_body').send(`lim_metric{detail="${fits}"} 2\n`).expect(200);
    expect(await scrape()).toContain(`lim_metric{detail="${fits}",instance="",job="limits_body"} 2`);
  });

  it(`refuses more than ${MAX_FAMILIES_PER_PUSH} families in one push`, async () => {
    const body = Array.from({ length: MAX_FAMILIES_PER_PUSH + 1 }, (_, i) => `lim_many_${i} 1\n`).join('');
    const res = await request(gw.url).put('/metrics/job/limits_many').send(body);
    expect(res.status).toBe(400);
    expect(res.text).toContain(`holds ${MAX_FAMILIES_PER_PUSH + 1} metric families, at most ${MAX_FAMILIES_PER_PUSH}`);
  });

  it(`refuses more than ${MAX_SERIES_PER_PUSH} series in one push; a large push below it is stored whole`, async () => {
    const body = (n: number) => Array.from({ length: n }, (_, i) => `lim_series{i="${i}"} ${i}\n`).join('');
    const res = await request(gw.url)
      .put('/metrics/job/limits_series')
      .send(body(MAX_SERIES_PER_PUSH + 1));
    expect(res.status).toBe(400);
    // Refused while parsing, at the first series too many (not after parsing all of a larger body).
    expect(res.text.trim()).toBe(`text format parsing error in line ${MAX_SERIES_PER_PUSH + 1}: more than ${MAX_SERIES_PER_PUSH} series in one push`);
    // 20,000 series: the push yields between its steps (LARGE_PUSH_SERIES) and keeps every series.
    await request(gw.url).put('/metrics/job/limits_series').send(body(20_000)).expect(200);
    const lines = (await scrape()).filter((l) => l.startsWith('lim_series{'));
    expect(lines).toHaveLength(20_000);
    expect(lines).toContain('lim_series{i="19999",instance="",job="limits_series"} 19999');
  }, 120_000);

  it.each<[string, (n: number) => Buffer, Record<string, string>, string]>([
    ['text', (n) => Buffer.from(`m{${Array.from({ length: n }, (_, i) => `l${i}="v"`).join(',')}} 1\n`), {}, 'text format parsing error in line 1: '],
    [
      'OpenMetrics',
      (n) => Buffer.from(`m{${Array.from({ length: n }, (_, i) => `l${i}="v"`).join(',')}} 1\n# EOF\n`),
      { 'Content-Type': 'application/openmetrics-text; version=1.0.0' },
      'openmetrics parsing error in line 1: ',
    ],
    [
      'protobuf',
      (n) => encodeProtobufDelimited([family('m', MetricType.GAUGE, [gauge(1, Object.fromEntries(Array.from({ length: n }, (_, i) => [`l${i}`, 'v'])))], '')]),
      PB,
      '',
    ],
  ])('refuses a %s series with more labels than a key has bytes while parsing it, storing nothing', async (_format, body, headers, prefix) => {
    const before = await groups();
    const res = await request(gw.url)
      .put('/metrics/job/limits_labels')
      .set(headers)
      .send(body(MAX_INDEXED_BYTES + 1));
    expect(res.status).toBe(400);
    expect(res.text.trim()).toBe(`${prefix}more than ${MAX_INDEXED_BYTES} labels in one series`);
    expect(await groups()).toBe(before);
  });

  it('refuses a protobuf body of more series than a push may hold before decoding it, and stores one just below', async () => {
    const body = (n: number) =>
      encodeProtobufDelimited([
        family('lim_pb_a', MetricType.GAUGE, [gauge(1, { i: 'x' })], ''),
        family(
          'lim_pb',
          MetricType.GAUGE,
          Array.from({ length: n - 1 }, (_, i) => gauge(i, { i: String(i) })),
          '',
        ),
      ]);
    const res = await request(gw.url)
      .put('/metrics/job/limits_pb')
      .set(PB)
      .send(body(MAX_SERIES_PER_PUSH + 1));
    expect(res.status).toBe(400);
    expect(res.text.trim()).toBe(`more than ${MAX_SERIES_PER_PUSH} series in one push`);
    await request(gw.url).put('/metrics/job/limits_pb').set(PB).send(body(MAX_SERIES_PER_PUSH)).expect(200);
    expect((await scrape()).filter((l) => l.startsWith('lim_pb{'))).toHaveLength(MAX_SERIES_PER_PUSH - 1);
  }, 120_000);

  it('takes a push of thousands of metric names (more locks than the server has slots) while small pushes go on', async () => {
    // 4,000 histograms: 16,000 lookup names, twice the ~7,800 lock slots of a default server.
    const body = Array.from({ length: 4000 }, (_, i) => {
      const n = `lim_hist_${i}`;
      return `# TYPE ${n} histogram\n${n}_bucket{le="1"} 1\n${n}_bucket{le="+Inf"} 2\n${n}_sum 3\n${n}_count 2\n`;
    }).join('');
    const small = Array.from({ length: 20 }, (_, i) => request(gw.url).put(`/metrics/job/limits_small/instance/${i}`).send(`lim_small ${i}\n`));
    const [big, ...rest] = await Promise.all([request(gw.url).put('/metrics/job/limits_hist').send(body), ...small]);
    expect(big.status).toBe(200);
    expect(rest.map((r) => r.status)).toEqual(rest.map(() => 200));
    const lines = await scrape();
    expect(lines).toContain('lim_hist_3999_count{instance="",job="limits_hist"} 2');
    expect(lines).toContain('lim_small{instance="19",job="limits_small"} 19');
    // A second such push takes the same path over the stored names.
    await request(gw.url).put('/metrics/job/limits_hist').send(body).expect(200);
  }, 120_000);
});
