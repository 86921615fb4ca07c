import { parseGroupingPath } from 'src/core/grouping/grouping-path';
import { GroupingPathError, GroupingRouteNotFoundError } from 'src/core/grouping/errors';

describe('parseGroupingPath', () => {
  it.each([
    ['plain job', 'job/j1', { job: 'j1' }],
    ['single trailing slash after job', 'job/j1/', { job: 'j1' }],
    ['label pairs', 'job/j1/instance/i1/zone/z', { job: 'j1', instance: 'i1', zone: 'z' }],
    ['repeated label: last wins', 'job/j/a/b/a/c', { job: 'j', a: 'c' }],
    ['job in the label part is ignored', 'job/x/job/other', { job: 'x' }],
    ['job@base64 in the label part is ignored', 'job/x/job@base64/eQ', { job: 'x' }],
    ['base64 job', 'job@base64/Zm9v', { job: 'foo' }],
    ['base64 label without padding', 'job/j/p@base64/L3Zhci90bXA', { job: 'j', p: '/var/tmp' }],
    ['base64 label with padding', 'job/j/p@base64/L3Zhci90bXA=', { job: 'j', p: '/var/tmp' }],
    ['base64 label over-padded', 'job/j/p@base64/L3Zhci90bXA===', { job: 'j', p: '/var/tmp' }],
    ['base64 = is the empty value', 'job/j/a@base64/=', { job: 'j', a: '' }],
    ['literal = value', 'job/j/a/=', { job: 'j', a: '=' }],
    ['percent escapes are decoded', 'job/a%20b%22c/l/%3D%40x', { job: 'a b"c', l: '=@x' }],
    ['plus is literal', 'job/a+b', { job: 'a+b' }],
    ['job literally ending in @base64', 'job/x@base64', { job: 'x@base64' }],
    ['UTF-8 value', 'job/j/city/%E5%8C%97%E4%BA%AC', { job: 'j', city: '北京' }],
    ['trailing slash after a label name is an empty value (as upstream)', 'job/j/a/', { job: 'j', a: '' }],
    ['U__ names are literal legacy names', 'job/j/U__a_2e_b/c', { job: 'j', U__a_2e_b: 'c' }],
    ['U+0000 as an escaped job', 'job/%00', { job: '\u0000' }],
    ['U+0000 inside an escaped value', 'job/j/a/x%00y', { job: 'j', a: 'x\u0000y' }],
    ['U+0000 as a base64 value', 'job/j/a@base64/AA', { job: 'j', a: '\u0000' }],
    ['U+FDD0 (a noncharacter) is valid UTF-8', 'job/j/a/%EF%B7%90', { job: 'j', a: '\uFDD0' }],
    ['a valid value spelling the old invalid-UTF-8 marker', 'job/j/a@base64/AO-_vyBpbnZhbGlkLXV0Zjg', { job: 'j', a: '\u0000\uFFFF invalid-utf8' }],
  ])('%s', (_name, path, expected) => {
    expect(parseGroupingPath(path)).toEqual(expected);
  });

  it.each([
    ['odd number of components', 'job/j1/a', 'odd number of components in label string "/a"'],
    ['trailing slash after pairs', 'job/j1/a/b/', 'odd number of components in label string "/a/b/"'],
    ['encoded slash splits the path', 'job/j/p/a%2Fb', 'odd number of components in label string "/p/a/b"'],
    ['empty base64 job', 'job@base64/=', 'job name is required'],
    ['invalid label name', 'job/j/1a/b', 'improper label name "1a"'],
    ['dotted label name', 'job/j/a.b/c', 'improper label name "a.b"'],
    ['reserved label name', 'job/j/__a/b', 'improper label name "__a"'],
    ['wrong-case base64 suffix', 'job/j/a@BASE64/b', 'improper label name "a@BASE64"'],
    ['standard-alphabet base64', 'job/j/p@base64/L3Zhci+0bXA', 'invalid base64 encoding for label p="L3Zhci+0bXA": illegal base64 data at input byte 6'],
    ['bad base64 job', 'job@base64/a!b', 'invalid base64 encoding in job name "a!b": illegal base64 data at input byte 1'],
    ['non-UTF-8 base64 value', 'job/j/p@base64/_-8', 'label p is not valid UTF-8'],
    ['non-UTF-8 escaped value', 'job/j/p/%FF', 'label p is not valid UTF-8'],
    ['non-UTF-8 base64 job', 'job@base64/_w', 'job name is not valid UTF-8'],
    ['empty segment', 'job/j//b', 'empty path segment in grouping key'],
  ])('rejects %s', (_name, path, message) => {
    expect(() => parseGroupingPath(path)).toThrow(GroupingPathError);
    expect(() => parseGroupingPath(path)).toThrow(message);
  });

  it.each([
    ['no job segment', 'jobs/x'],
    ['job without a name', 'job'],
    ['labels without job outside /api/v2', 'label_key_1/label_value_1'],
  ])('answers 404 for %s', (_name, path) => {
    expect(() => parseGroupingPath(path)).toThrow(GroupingRouteNotFoundError);
  });

  it.each([
    ['labels without job (the managed-service curl example)', 'label_key_1/label_value_1/label_key_2/label_value_2', { label_key_1: 'label_value_1', label_key_2: 'label_value_2' }],
    ['a job pair among the labels', 'a/b/job/j', { a: 'b', job: 'j' }],
    ['the usual job form', 'job/j/a/b', { job: 'j', a: 'b' }],
  ])('on the managed route accepts %s', (_name, path, expected) => {
    expect(parseGroupingPath(path, { allowMissingJob: true })).toEqual(expected);
  });
});
