import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Token auth: metadata of the tokens the gateway issued (never the tokens), and the revocation
 * list every replica polls. A revocation may name any `jti`, also of a token issued elsewhere
 * (CLI, identity provider); `revision` grows with every revocation so a replica fetches only news.
 */
export class CreateAuthTokens1795667700000 implements MigrationInterface {
  name = 'CreateAuthTokens1795667700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE issued_token (
        id          text        PRIMARY KEY,
        tenant      text        NULL,
        scope       text        NOT NULL,
        issued_at   timestamptz NOT NULL DEFAULT now(),
        expires_at  timestamptz NOT NULL,
        issued_by   text        NULL,
        revoked_at  timestamptz NULL
      )`);
    // Tenant admins list their own tenant's tokens.
    await q.query(`CREATE INDEX issued_token_tenant_idx ON issued_token (tenant)`);
    await q.query(`
      CREATE TABLE token_revocation (
        jti         text        PRIMARY KEY,
        revoked_at  timestamptz NOT NULL DEFAULT now(),
        expires_at  timestamptz NULL,
        revision    bigserial   NOT NULL
      )`);
    await q.query(`CREATE UNIQUE INDEX token_revocation_revision_uq ON token_revocation (revision)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE token_revocation`);
    await q.query(`DROP TABLE issued_token`);
  }
}
