import { Inject, Injectable } from '@nestjs/common';
import { DATABASE } from 'src/storage/storage.tokens';
import { Database } from 'src/storage/database';
import { fromDbText, toDbText } from 'src/storage/db-text';

/** Metadata of a token the gateway issued; the token itself is never stored. */
export interface IssuedToken {
  id: string;
  /** undefined: an operator token. */
  tenant?: string;
  scope: string;
  /** Unix seconds. */
  issuedAt: number;
  expiresAt: number;
  issuedBy?: string;
  revokedAt?: number;
}

/** One entry of the revocation list. */
export interface Revocation {
  jti: string;
  /** Unix seconds; undefined when the token's expiry is unknown. */
  expiresAt?: number;
}

interface IssuedRow {
  id: string;
  tenant: string | null;
  scope: string;
  issued_at: number;
  expires_at: number;
  issued_by: string | null;
  revoked_at: number | null;
}

const INSERT_ISSUED = `
  INSERT INTO issued_token (id, tenant, scope, issued_at, expires_at, issued_by)
  VALUES ($1, $2, $3, to_timestamp($4), to_timestamp($5), $6)`;

const ISSUED_COLUMNS = `
  id, tenant, scope, extract(epoch FROM issued_at)::float8 AS issued_at, extract(epoch FROM expires_at)::float8 AS expires_at,
  issued_by, extract(epoch FROM revoked_at)::float8 AS revoked_at`;

const LIST_ISSUED = `SELECT ${ISSUED_COLUMNS} FROM issued_token ORDER BY issued_at, id`;
const LIST_ISSUED_OF_TENANT = `SELECT ${ISSUED_COLUMNS} FROM issued_token WHERE tenant = $1 ORDER BY issued_at, id`;
const FIND_ISSUED = `SELECT ${ISSUED_COLUMNS} FROM issued_token WHERE id = $1`;

const MARK_REVOKED = `UPDATE issued_token SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`;

const INSERT_REVOCATION = `
  INSERT INTO token_revocation (jti, expires_at) VALUES ($1, to_timestamp($2))
  ON CONFLICT (jti) DO NOTHING`;

/** Revocations of tokens that have not yet expired. */
const ACTIVE_REVOCATIONS = `
  SELECT jti, extract(epoch FROM expires_at)::float8 AS expires_at
  FROM token_revocation WHERE expires_at IS NULL OR expires_at > now()`;

/**
 * Changes whenever the list changes. Revisions come from a sequence and may commit out of order,
 * so max(revision) alone could miss a late commit of a lower one; count and sum catch it, also when
 * a prune removes rows at the same time.
 */
const REVOCATION_FINGERPRINT = `
  SELECT count(*)::text || ':' || coalesce(max(revision), 0)::text || ':' || coalesce(sum(revision), 0)::text AS fingerprint
  FROM token_revocation`;

/** Revocations of long-expired tokens serve no purpose; the grace period covers clock skew. */
const PRUNE_REVOCATIONS = `DELETE FROM token_revocation WHERE expires_at < now() - interval '1 day'`;

/**
 * All SQL on issued tokens and the revocation list. Token ids and subjects come from claims and may
 * hold any string, so they are stored in db-text form (tenants are validated and stored as is).
 */
@Injectable()
export class TokenRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /** Records the metadata of a newly issued token. Times are Unix seconds. */
  async insertIssued(token: IssuedToken): Promise<void> {
    const issuedBy = token.issuedBy === undefined ? null : toDbText(token.issuedBy);
    await this.db.query(INSERT_ISSUED, [toDbText(token.id), token.tenant ?? null, token.scope, token.issuedAt, token.expiresAt, issuedBy]);
  }

  /** Issued tokens, oldest first: all of them, or those of one tenant when given. */
  async listIssued(tenant?: string): Promise<IssuedToken[]> {
    const rows = await (tenant === undefined ? this.db.query<IssuedRow>(LIST_ISSUED) : this.db.query<IssuedRow>(LIST_ISSUED_OF_TENANT, [tenant]));
    return rows.map(issuedOf);
  }

  /** One issued token by id, or undefined. */
  async findIssued(id: string): Promise<IssuedToken | undefined> {
    const rows = await this.db.query<IssuedRow>(FIND_ISSUED, [toDbText(id)]);
    return rows.length === 0 ? undefined : issuedOf(rows[0]);
  }

  /**
   * Revokes a token id in one transaction: marks its issued_token row (if any) and appends it to the
   * revocation list (no-op when already there). `expiresAt` (Unix seconds) lets the list forget it later.
   */
  async revoke(jti: string, expiresAt: number | undefined): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(MARK_REVOKED, [toDbText(jti)]);
      await tx.query(INSERT_REVOCATION, [toDbText(jti), expiresAt ?? null]);
    });
  }

  /** Every revocation whose token has not yet expired (expiry in Unix seconds). */
  async activeRevocations(): Promise<Revocation[]> {
    const rows = await this.db.query<{ jti: string; expires_at: number | null }>(ACTIVE_REVOCATIONS);
    return rows.map((r) => ({ jti: fromDbText(r.jti), expiresAt: r.expires_at ?? undefined }));
  }

  /** A cheap value that differs after any revocation is added or pruned. */
  async revocationFingerprint(): Promise<string> {
    const rows = await this.db.query<{ fingerprint: string }>(REVOCATION_FINGERPRINT);
    return rows[0].fingerprint;
  }

  /** Deletes revocations of tokens that expired more than a day ago. */
  async pruneRevocations(): Promise<void> {
    await this.db.query(PRUNE_REVOCATIONS);
  }
}

function issuedOf(r: IssuedRow): IssuedToken {
  return {
    id: fromDbText(r.id),
    tenant: r.tenant ?? undefined,
    scope: r.scope,
    issuedAt: r.issued_at,
    expiresAt: r.expires_at,
    issuedBy: r.issued_by === null ? undefined : fromDbText(r.issued_by),
    revokedAt: r.revoked_at ?? undefined,
  };
}
