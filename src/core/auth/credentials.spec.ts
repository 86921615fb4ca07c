import { credentialsOf } from 'src/core/auth/credentials';

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

describe('credentialsOf', () => {
  it.each<[string, string | undefined, ReturnType<typeof credentialsOf>]>([
    ['no header', undefined, { kind: 'none' }],
    ['blank header', '  ', { kind: 'none' }],
    ['bearer', 'Bearer abc.def.ghi', { kind: 'token', scheme: 'bearer', token: 'abc.def.ghi' }],
    ['bearer, lower-case scheme', 'bearer abc', { kind: 'token', scheme: 'bearer', token: 'abc' }],
    ['basic with any user name', `Basic ${b64('anyone:tok.en.x')}`, { kind: 'token', scheme: 'basic', token: 'tok.en.x' }],
    ['basic with empty user name', `Basic ${b64(':tok')}`, { kind: 'token', scheme: 'basic', token: 'tok' }],
    ['basic password containing a colon', `Basic ${b64('u:a:b')}`, { kind: 'token', scheme: 'basic', token: 'a:b' }],
    ['basic, upper-case scheme', `BASIC ${b64('u:t')}`, { kind: 'token', scheme: 'basic', token: 't' }],
    ['basic without password', `Basic ${b64('user:')}`, { kind: 'malformed' }],
    ['basic without colon', `Basic ${b64('user')}`, { kind: 'malformed' }],
    ['basic with bad base64', 'Basic !!!', { kind: 'malformed' }],
    ['bearer without token', 'Bearer', { kind: 'malformed' }],
    ['bearer with two words', 'Bearer a b', { kind: 'malformed' }],
    ['unknown scheme', 'Digest abc', { kind: 'malformed' }],
    ['bare token', 'abc.def.ghi', { kind: 'malformed' }],
    ['huge header', `Bearer ${'a'.repeat(20000)}`, { kind: 'malformed' }],
  ])('%s', (_name, header, expected) => {
    expect(credentialsOf(header)).toEqual(expected);
  });
});
