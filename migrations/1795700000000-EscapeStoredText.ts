import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Pushed strings are stored in db-text form from this version on (src/storage/db-text.ts): U+0000,
 * which PostgreSQL cannot store, becomes U+FDD0 '0', and U+FDD0 itself becomes U+FDD0 U+FDD0.
 * Data written before holds no U+0000 (such pushes failed), but may hold a raw U+FDD0, a valid
 * (if unusual) character in a label value or HELP text; this migration doubles it in every column
 * that is now read through the decoder, so such a value reads back unchanged:
 * metric_group.labels, metric_family.help and .exposition, history_series.labels and .series_key.
 * The JSON-text keys (grouping_key, exposed_key) are not decoded and stay as they are.
 *
 * Each table is read once (no index finds a character inside a value); only rows holding U+FDD0
 * are rewritten, which in practice is none. `down` halves the doubled characters again, the exact
 * inverse while no value holds U+0000; it refuses to run while one does (an older version cannot
 * store it: delete those groups first), rather than merge distinct series into one.
 */
export class EscapeStoredText1795700000000 implements MigrationInterface {
  name = 'EscapeStoredText1795700000000';

  async up(q: QueryRunner): Promise<void> {
    await this.rewrite(q, `chr(64976)`, `chr(64976) || chr(64976)`);
  }

  async down(q: QueryRunner): Promise<void> {
    // An encoded U+0000 is ESC '0' after an even number of ESCs (each pair is one escaped ESC).
    const nul = `('(^|[^' || chr(64976) || '])(' || chr(64976) || chr(64976) || ')*' || chr(64976) || '0')`;
    const [{ n }] = (await q.query(`
      SELECT (SELECT count(*) FROM metric_group WHERE labels::text ~ ${nul})
           + (SELECT count(*) FROM metric_family WHERE help ~ ${nul} OR exposition ~ ${nul})
           + (SELECT count(*) FROM history_series WHERE labels::text ~ ${nul} OR series_key ~ ${nul}) AS n`)) as [{ n: string }];
    if (Number(n) > 0) {
      throw new Error(`cannot revert EscapeStoredText: ${n} stored rows hold U+0000, which older versions cannot store; delete those groups and series first`);
    }
    await this.rewrite(q, `chr(64976) || chr(64976)`, `chr(64976)`);
  }

  /** Replaces `from` with `to` (SQL text expressions) in every db-text column. */
  private async rewrite(q: QueryRunner, from: string, to: string): Promise<void> {
    const has = (column: string): string => `strpos(${column}, ${from}) > 0`;
    const replaced = (column: string): string => `replace(${column}, ${from}, ${to})`;
    await q.query(`UPDATE metric_group SET labels = ${replaced('labels::text')}::jsonb WHERE ${has('labels::text')}`);
    await q.query(`
      UPDATE metric_family SET help = ${replaced('help')}, exposition = ${replaced('exposition')}
      WHERE ${has('help')} OR ${has('exposition')}`);
    await q.query(`
      UPDATE history_series SET labels = ${replaced('labels::text')}::jsonb, series_key = ${replaced('series_key')}
      WHERE ${has('labels::text')} OR ${has('series_key')}`);
  }
}
