import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Token ids and subjects are stored in db-text form from this version on (src/storage/db-text.ts),
 * like pushed strings (see EscapeStoredText): a `jti` or `sub` claim may hold U+0000, which
 * PostgreSQL cannot store. This doubles any raw U+FDD0 already stored in those columns
 * (issued_token.id and .issued_by, token_revocation.jti), so it reads back unchanged. The tables
 * are small. `down` halves them again and refuses while an encoded U+0000 is stored.
 */
export class EscapeTokenText1795720000000 implements MigrationInterface {
  name = 'EscapeTokenText1795720000000';

  async up(q: QueryRunner): Promise<void> {
    await this.rewrite(q, `chr(64976)`, `chr(64976) || chr(64976)`);
  }

  async down(q: QueryRunner): Promise<void> {
    const nul = `('(^|[^' || chr(64976) || '])(' || chr(64976) || chr(64976) || ')*' || chr(64976) || '0')`;
    const [{ n }] = (await q.query(`
      SELECT (SELECT count(*) FROM issued_token WHERE id ~ ${nul} OR issued_by ~ ${nul})
           + (SELECT count(*) FROM token_revocation WHERE jti ~ ${nul}) AS n`)) as [{ n: string }];
    if (Number(n) > 0) {
      throw new Error(`cannot revert EscapeTokenText: ${n} token rows hold U+0000, which older versions cannot store`);
    }
    await this.rewrite(q, `chr(64976) || chr(64976)`, `chr(64976)`);
  }

  private async rewrite(q: QueryRunner, from: string, to: string): Promise<void> {
    await q.query(`
      UPDATE issued_token SET id = replace(id, ${from}, ${to}), issued_by = replace(issued_by, ${from}, ${to})
      WHERE strpos(id, ${from}) > 0 OR strpos(issued_by, ${from}) > 0`);
    await q.query(`UPDATE token_revocation SET jti = replace(jti, ${from}, ${to}) WHERE strpos(jti, ${from}) > 0`);
  }
}
