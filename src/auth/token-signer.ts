import { jose } from 'src/auth/jose-lazy';
import { IssuedClaims } from 'src/core/auth/token-claims';

/** Signs issued claims as an HS256 JWT with the shared secret (AUTH_JWT_SECRET). */
export function signToken(claims: IssuedClaims, secret: string): Promise<string> {
  return new (jose().SignJWT)({ ...claims }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(secret));
}
