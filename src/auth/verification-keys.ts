import { createPublicKey, KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type * as Jose from 'jose';
import type { JSONWebKeySet, JWTHeaderParameters, FlattenedJWSInput, KeyLike } from 'jose';
import { jose } from 'src/auth/jose-lazy';
import { AuthSettings } from 'src/config/env.schema';

const HMAC_ALGS = ['HS256', 'HS384', 'HS512'];
const RSA_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
const EC_ALGS: Readonly<Record<string, string>> = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512', secp256k1: 'ES256K' };
const JWKS_ALGS = [...RSA_ALGS, 'ES256', 'ES384', 'ES512', 'ES256K', 'EdDSA'];

/** A key source could not be loaded; the gateway refuses to start. */
export class KeyLoadError extends Error {}

type KeyResolver = (header: JWTHeaderParameters, token: FlattenedJWSInput) => Promise<KeyLike | Uint8Array>;

/** The configured verification keys: which algorithms they allow and how a token header selects one. */
export interface VerificationKeys {
  algorithms: string[];
  resolve: KeyResolver;
}

/**
 * Loads the keys named by the auth settings (files are read once, at boot): the shared secret for
 * HS256/384/512, a PEM public key or certificate for the algorithms of its key type, a JWKS file
 * whose keys are selected by `kid`. A token whose header names a `kid` is checked against the JWKS
 * (unknown kid: refused) when one is configured. Throws KeyLoadError naming the bad file.
 */
export function loadVerificationKeys(auth: AuthSettings): VerificationKeys {
  const secret = auth.jwtSecret === undefined ? undefined : new TextEncoder().encode(auth.jwtSecret);
  const publicKey = auth.jwtPublicKeyFile === undefined ? undefined : loadPublicKey(auth.jwtPublicKeyFile);
  const jwks = auth.jwksFile === undefined ? undefined : loadJwks(auth.jwksFile);
  const publicAlgs = publicKey === undefined ? [] : algorithmsOf(publicKey, auth.jwtPublicKeyFile ?? '');
  const algorithms = [...new Set([...(secret ? HMAC_ALGS : []), ...publicAlgs, ...(jwks ? JWKS_ALGS : [])])];
  const resolve: KeyResolver = async (header, token) => {
    if (secret !== undefined && HMAC_ALGS.includes(header.alg)) {
      return secret;
    }
    if (jwks !== undefined && (header.kid !== undefined || publicKey === undefined || !publicAlgs.includes(header.alg))) {
      return jwks(header, token);
    }
    if (publicKey !== undefined && publicAlgs.includes(header.alg)) {
      return publicKey;
    }
    throw new (jose().errors.JOSEAlgNotAllowed)('no key for this algorithm');
  };
  return { algorithms, resolve };
}

function loadPublicKey(file: string): KeyObject {
  try {
    return createPublicKey(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new KeyLoadError(`AUTH_JWT_PUBLIC_KEY_FILE=${file}: ${(error as Error).message}`);
  }
}

function loadJwks(file: string): ReturnType<typeof Jose.createLocalJWKSet> {
  try {
    const jwks = JSON.parse(readFileSync(file, 'utf8')) as JSONWebKeySet;
    if (!Array.isArray(jwks.keys) || jwks.keys.length === 0) {
      throw new Error('expected {"keys": [...]} with at least one key');
    }
    return jose().createLocalJWKSet(jwks);
  } catch (error) {
    throw new KeyLoadError(`AUTH_JWKS_FILE=${file}: ${(error as Error).message}`);
  }
}

function algorithmsOf(key: KeyObject, file: string): string[] {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return RSA_ALGS;
    case 'rsa-pss':
      return ['PS256', 'PS384', 'PS512'];
    case 'ec': {
      const alg = EC_ALGS[key.asymmetricKeyDetails?.namedCurve ?? ''];
      if (alg !== undefined) {
        return [alg];
      }
      break;
    }
    case 'ed25519':
    case 'ed448':
      return ['EdDSA'];
    default:
      break;
  }
  throw new KeyLoadError(`AUTH_JWT_PUBLIC_KEY_FILE=${file}: unsupported key type ${key.asymmetricKeyType ?? 'unknown'}`);
}
