/** What the Authorization header of a request holds, as far as token auth is concerned. */
export type Credentials = { kind: 'none' } | { kind: 'malformed' } | { kind: 'token'; scheme: 'bearer' | 'basic'; token: string };

/** Longest token considered at all; longer headers are refused before any crypto runs. */
export const MAX_TOKEN_LENGTH = 16 * 1024;

/**
 * Reads a token from an Authorization header: `Bearer <token>`, or `Basic base64(user:password)`
 * with the token as the password and any user name (stock SDKs only speak BasicAuth). Scheme names
 * are case-insensitive. No header is `none`; an unknown scheme, an empty token or bad base64 is
 * `malformed`. The token itself is not checked here.
 */
export function credentialsOf(header: string | undefined): Credentials {
  if (header === undefined || header.trim() === '') {
    return { kind: 'none' };
  }
  if (header.length > MAX_TOKEN_LENGTH) {
    return { kind: 'malformed' };
  }
  const match = /^\s*([A-Za-z]+) +(\S+)\s*$/.exec(header);
  if (match === null) {
    return { kind: 'malformed' };
  }
  const scheme = match[1].toLowerCase();
  if (scheme === 'bearer') {
    return { kind: 'token', scheme: 'bearer', token: match[2] };
  }
  if (scheme === 'basic') {
    const password = basicPassword(match[2]);
    return password === undefined ? { kind: 'malformed' } : { kind: 'token', scheme: 'basic', token: password };
  }
  return { kind: 'malformed' };
}

function basicPassword(encoded: string): string | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) {
    return undefined;
  }
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const password = colon < 0 ? '' : decoded.slice(colon + 1).trim();
  return password === '' ? undefined : password;
}
