import { useGateway } from '../support/gateway';
import { comparableScrape } from '../support/exposition-compare';
import { parseProtobufDelimited } from '../../src/core/exposition/protobuf-delimited';
import { MetricType } from '../../src/core/model/metric-family';

/**
 * OpenMetrics pushes (issue 12 point 3): `Content-Type: application/openmetrics-text` bodies go
 * through the OpenMetrics 1.0 parser (rules: OpenMetrics specification, research note §3), end to
 * end through storage and both scrape formats. Upstream (every version) reads them as text 0.0.4;
 * the side-by-side comparison with Debian's 1.5.1 is in upstream-differential.spec.ts.
 */
const OM = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
const PB_ACCEPT = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';

const BODY = [
  '# TYPE om_a counter',
  '# HELP om_a Things done.',
  'om_a_total{kind="x"} 3 # {trace_id="abc"} 1 1700000000.5',
  'om_a_created{kind="x"} 1700000000',
  '# TYPE om_build info',
  'om_build_info{version="1.2"} 1',
  '# TYPE om_state stateset',
  'om_state{om_state="ready"} 1',
  'om_state{om_state="down"} 0',
  '# TYPE om_q_seconds gaugehistogram',
  '# UNIT om_q_seconds seconds',
  'om_q_seconds_bucket{le="1"} 2 # {id="e"} 0.5',
  'om_q_seconds_bucket{le="+Inf"} 3',
  'om_q_seconds_gcount 3',
  'om_q_seconds_gsum 2.5',
  '# EOF',
  '',
].join('\n');

describe('OpenMetrics pushes', () => {
  const gw = useGateway();

  const push = (path: string, body: string, method = 'PUT', contentType = OM): Promise<Response> =>
    fetch(`${gw.url}/metrics/job/${path}`, { method, body, headers: { 'Content-Type': contentType } });
  const scrape = async (): Promise<string[]> => comparableScrape(await (await fetch(`${gw.url}/metrics`)).text());

  it('stores types, _total/_created, info, stateset, gaugehistogram and UNIT; text scrape shows the 0.0.4 view', async () => {
    const res = await push('om', BODY);
    expect(`${res.status} ${await res.text()}`).toBe('200 ');
    const lines = await scrape();
    expect(lines).toEqual(
      expect.arrayContaining([
        '# HELP om_a_total Things done.',
        '# TYPE om_a_total counter',
        'om_a_total{instance="",job="om",kind="x"} 3',
        '# TYPE om_build_info gauge',
        'om_build_info{instance="",job="om",version="1.2"} 1',
        '# TYPE om_state gauge',
        'om_state{instance="",job="om",om_state="ready"} 1',
        '# TYPE om_q_seconds histogram',
        'om_q_seconds_bucket{instance="",job="om",le="1"} 2',
        'om_q_seconds_count{instance="",job="om"} 3',
      ]),
    );
    // Today's bug the issue names: `_created` must not become a family of its own.
    expect(lines.filter((l) => l.includes('om_a_created'))).toEqual([]);
  });

  it('keeps exemplars, created timestamps, units and the gauge-histogram type in protobuf scrapes', async () => {
    expect((await push('om', BODY)).status).toBe(200);
    const res = await fetch(`${gw.url}/metrics`, { headers: { Accept: PB_ACCEPT } });
    const families = parseProtobufDelimited(Buffer.from(await res.arrayBuffer()));
    const counter = families.find((f) => f.name === 'om_a_total')!;
    expect(counter.type).toBe(MetricType.COUNTER);
    expect(counter.metric[0].counter).toEqual({
      value: 3,
      createdTimestampMs: 1700000000000,
      exemplar: { label: [{ name: 'trace_id', value: 'abc' }], value: 1, timestampMs: 1700000000500 },
    });
    const gh = families.find((f) => f.name === 'om_q_seconds')!;
    expect(gh.type).toBe(MetricType.GAUGE_HISTOGRAM);
    expect(gh.unit).toBe('seconds');
    expect(gh.metric[0].histogram?.bucket[0].exemplar).toEqual({ label: [{ name: 'id', value: 'e' }], value: 0.5 });
  });

  it('answers an invalid body with 400 naming the line, and records no failure (a parse error, research §6)', async () => {
    expect((await push('bad', 'ok 1\n# EOF\n')).status).toBe(200);
    const res = await push('bad', '# TYPE c counter\nc_total 1\nc_total 2\n# EOF\n');
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/^openmetrics parsing error in line 3: /);
    const missingEof = await push('bad', 'x 1\n');
    expect(`${missingEof.status} ${await missingEof.text()}`).toMatch(/^400 openmetrics parsing error in line 2: expected "# EOF"/);
    expect(await scrape()).toContain('push_failure_time_seconds{instance="",job="bad"} 0');
  });

  it('refuses float timestamps like any pushed timestamp: 400 and push_failure_time_seconds set', async () => {
    const res = await push('ts', 'x 1 1520879607.789\n# EOF\n');
    expect(`${res.status} ${await res.text()}`).toMatch(/^400 .*must not have timestamps/);
    expect(await scrape()).toEqual(
      expect.arrayContaining(['push_failure_time_seconds{instance="",job="ts"} <time>', 'push_time_seconds{instance="",job="ts"} 0']),
    );
  });

  it('a zero-length OpenMetrics body is an empty push, like every other format', async () => {
    expect((await push('empty', 'x 1\n# EOF\n')).status).toBe(200);
    expect((await push('empty', '')).status).toBe(200);
    expect((await scrape()).filter((l) => l.includes('job="empty"') && l.startsWith('x{'))).toEqual([]);
  });

  it('text/plain bodies still go through the 0.0.4 parser', async () => {
    const res = await push('text', '# TYPE t counter\nt_total 1\nt_created 5\n', 'PUT', 'text/plain; version=0.0.4');
    expect(res.status).toBe(200);
    expect(await scrape()).toEqual(expect.arrayContaining(['t_created{instance="",job="text"} 5']));
  });
});
