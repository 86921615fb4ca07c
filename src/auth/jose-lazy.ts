import type * as Jose from 'jose';

let loaded: typeof Jose | undefined;

/**
 * The jose library, loaded on first use: with auth off (the default) no token is ever signed or
 * verified, and its 80-odd modules would only take memory (issue 14: idle memory).
 */
export function jose(): typeof Jose {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require('jose') as typeof Jose;
  return loaded;
}
