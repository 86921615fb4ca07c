import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { exportJWK, exportSPKI, generateKeyPair, JWTPayload, KeyLike, SignJWT } from 'jose';

/** Test keys and matching gateway settings for auth specs (kept next to the specs that own them). */
export interface AuthKeys {
  secret: string;
  /** Private half of the ES256 key published in the JWKS file as kid `es-1`. */
  jwksPrivate: KeyLike;
  /** Private half of the Ed25519 key whose public PEM is AUTH_JWT_PUBLIC_KEY_FILE. */
  pemPrivate: KeyLike;
  /** A key that the gateway does not know. */
  strangerPrivate: KeyLike;
  env: Record<string, string>;
}

export const ISSUER = 'https://issuer.example';
export const AUDIENCE = 'pushgateway';

/** Generates keys, writes the PEM and JWKS files into `dir`, returns env for the gateway. */
export async function makeAuthKeys(dir: string, extraEnv: Record<string, string> = {}): Promise<AuthKeys> {
  const es = await generateKeyPair('ES256');
  const ed = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const stranger = await generateKeyPair('ES256');
  const jwksFile = path.join(dir, 'jwks.json');
  const pemFile = path.join(dir, 'public.pem');
  writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(es.publicKey)), kid: 'es-1', alg: 'ES256', use: 'sig' }] }));
  writeFileSync(pemFile, await exportSPKI(ed.publicKey));
  const secret = `test-secret-${randomUUID()}-0123456789`;
  return {
    secret,
    jwksPrivate: es.privateKey,
    pemPrivate: ed.privateKey,
    strangerPrivate: stranger.privateKey,
    env: {
      AUTH_JWT_SECRET: secret,
      AUTH_JWKS_FILE: jwksFile,
      AUTH_JWT_PUBLIC_KEY_FILE: pemFile,
      AUTH_JWT_ISSUER: ISSUER,
      AUTH_JWT_AUDIENCE: AUDIENCE,
      AUTH_CLOCK_SKEW_SECONDS: '5',
      ...extraEnv,
    },
  };
}

export interface TokenSpec {
  tenant?: string;
  scope?: string;
  /** Seconds from now; default one hour. */
  expIn?: number;
  nbfIn?: number;
  iss?: string;
  aud?: string;
  jti?: string | null;
  noExp?: boolean;
  extra?: JWTPayload;
}

const now = (): number => Math.floor(Date.now() / 1000);

function claimsOf(spec: TokenSpec): JWTPayload {
  return {
    ...(spec.tenant === undefined ? {} : { tenant: spec.tenant }),
    ...(spec.scope === undefined ? {} : { scope: spec.scope }),
    iss: spec.iss ?? ISSUER,
    aud: spec.aud ?? AUDIENCE,
    iat: now(),
    ...(spec.noExp ? {} : { exp: now() + (spec.expIn ?? 3600) }),
    ...(spec.nbfIn === undefined ? {} : { nbf: now() + spec.nbfIn }),
    ...(spec.jti === null ? {} : { jti: spec.jti ?? randomUUID() }),
    ...spec.extra,
  };
}

/** HS256 (or another HS alg) token with the shared secret. */
export function hsToken(secret: string, spec: TokenSpec, alg = 'HS256'): Promise<string> {
  return new SignJWT(claimsOf(spec)).setProtectedHeader({ alg, typ: 'JWT' }).sign(new TextEncoder().encode(secret));
}

/** Asymmetric token; `kid` selects a JWKS key. */
export function keyToken(key: KeyLike, alg: string, spec: TokenSpec, kid?: string): Promise<string> {
  return new SignJWT(claimsOf(spec)).setProtectedHeader({ alg, typ: 'JWT', ...(kid === undefined ? {} : { kid }) }).sign(key);
}

/** An unsecured token (`alg: none`), which must never pass. */
export function noneToken(spec: TokenSpec): string {
  const enc = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${enc({ alg: 'none', typ: 'JWT' })}.${enc(claimsOf(spec))}.`;
}

/** `Authorization` header value for a token in BasicAuth form (any user name). */
export function basic(token: string, user = 'anyone'): string {
  return `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}`;
}

export const WWW_AUTHENTICATE = 'Bearer realm="pushgateway", Basic realm="pushgateway"';
