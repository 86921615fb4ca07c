import { encodeProtobufDelimited } from '../../src/core/exposition/protobuf-delimited';
import { family, gauge } from '../../src/core/exposition/testdata/factories';
import { MetricType } from '../../src/core/model/metric-family';
import { FUZZ_JWT_SECRET, type FuzzRequest } from './corpus';
import { createHmac } from 'node:crypto';

/**
 * Minimized inputs that once made the gateway answer 5xx (or otherwise misbehave), with the status
 * they must get now. The fuzz spec replays them before the random corpus. Add a row for every
 * failure the fuzzer finds, minimized by hand, with what it used to do.
 */
export interface Regression {
  name: string;
  /** What happened before the fix. */
  was: string;
  request: FuzzRequest;
  status: number;
}

const PB = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';

const req = (
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
  target: FuzzRequest['target'] = 'open',
): FuzzRequest => ({
  target,
  method,
  path,
  headers,
  body: body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'),
  kind: 'regression',
});

/** A Bearer header for the auth gateway: an operator token with admin scope (valid for an hour from loading). */
function operator(sub = 'fuzzer'): Record<string, string> {
  const part = (v: unknown): string => Buffer.from(JSON.stringify(v), 'utf8').toString('base64url');
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ exp: Math.floor(Date.now() / 1000) + 3600, jti: 'fz-regression', scope: 'push read admin', tenant: '*', sub })}`;
  return { authorization: `Bearer ${unsigned}.${createHmac('sha256', FUZZ_JWT_SECRET).update(unsigned).digest('base64url')}` };
}

export const REGRESSIONS: Regression[] = [
  { name: 'U+0000 as the job', was: '500: jsonb rejects \\u0000', request: req('PUT', '/metrics/job/%00', 'x 1\n'), status: 200 },
  { name: 'U+0000 in a grouping value', was: '500: jsonb rejects \\u0000', request: req('PUT', '/metrics/job/fz/l/a%00b', 'x 1\n'), status: 200 },
  { name: 'U+0000 as a @base64 grouping value', was: '500: jsonb rejects \\u0000', request: req('PUT', '/metrics/job/fz/l@base64/AA', 'x 1\n'), status: 200 },
  {
    name: 'U+0000 in a body label value',
    was: '500: text rejects 0x00 (exposition, series key)',
    request: req('PUT', '/metrics/job/fz0', 'x{a="\u0000"} 1\n'),
    status: 200,
  },
  { name: 'U+0000 in a HELP text', was: '500: text rejects 0x00', request: req('PUT', '/metrics/job/fz1', '# HELP y a\u0000b\ny 1\n'), status: 200 },
  {
    name: 'U+0000 in a protobuf label value and HELP',
    was: '500: text rejects 0x00',
    request: req('PUT', '/metrics/job/fz2', encodeProtobufDelimited([family('pz', MetricType.GAUGE, [gauge(1, { a: '\u0000' })], 'h\u0000')]), {
      'content-type': PB,
    }),
    status: 200,
  },
  {
    name: 'query: equality matcher with U+0000',
    was: '500: jsonb rejects \\u0000',
    request: req('GET', '/api/v1/query?query=x%7Bjob%3D%22%00%22%7D'),
    status: 200,
  },
  {
    name: 'query: metric name matcher with U+0000',
    was: '500: text parameter with 0x00',
    request: req('GET', '/api/v1/query?query=%7B__name__%3D%22%00%22%7D'),
    status: 200,
  },
  {
    name: 'series: literal alternation with U+0000',
    was: '500: text[] parameter with 0x00',
    request: req('GET', '/api/v1/series?match[]=%7Ba%3D~%22%00%7Cb%22%7D'),
    status: 200,
  },
  {
    name: 'label values of a matcher with U+0000',
    was: '500: text parameter with 0x00',
    request: req('GET', '/api/v1/label/a/values?match[]=%7Bl%3D%22x%22%2Ca!%3D%22%00%22%7D'),
    status: 200,
  },
  {
    name: 'snappy frame with a wrong checksum',
    was: '200: the checksum was not verified',
    request: req(
      'PUT',
      '/metrics/job/fz3',
      Buffer.concat([Buffer.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59, 0x01, 0x0a, 0x00, 0x00, 0, 0, 0, 0]), Buffer.from('sn 1\n\n')]),
      { 'content-encoding': 'snappy' },
    ),
    status: 400,
  },
  {
    name: 'revoking a token id holding U+0000',
    was: '500: text parameter with 0x00',
    request: req('DELETE', '/api/v1/admin/tokens/%00', undefined, operator(), 'auth'),
    status: 204,
  },
  {
    name: 'issuing a token as a caller whose subject holds U+0000',
    was: '500: issued_by with 0x00',
    request: req('POST', '/api/v1/admin/tokens', '{"scope":"read"}', { ...operator('\u0000'), 'content-type': 'application/json' }, 'auth'),
    status: 201,
  },
];
