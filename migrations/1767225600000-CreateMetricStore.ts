import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The pushed-metrics store: one metric_group row per grouping key and one metric_family row per
 * (group, family name), holding the sanitised family losslessly (length-delimited protobuf) and
 * pre-rendered as text exposition sample lines.
 */
export class CreateMetricStore1767225600000 implements MigrationInterface {
  name = 'CreateMetricStore1767225600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SEQUENCE metric_group_revision_seq`);
    await q.query(`
      CREATE TABLE metric_group (
        id                 bigserial PRIMARY KEY,
        tenant             text             NOT NULL DEFAULT '',
        grouping_key       text             NOT NULL,
        exposed_key        text             NOT NULL,
        labels             jsonb            NOT NULL,
        push_time          double precision NOT NULL DEFAULT 0,
        push_failure_time  double precision NOT NULL DEFAULT 0,
        revision           bigint           NOT NULL DEFAULT nextval('metric_group_revision_seq'),
        CONSTRAINT metric_group_tenant_key_uq UNIQUE (tenant, grouping_key),
        CONSTRAINT metric_group_exposed_key_uq UNIQUE (exposed_key)
      )`);
    await q.query(`
      CREATE TABLE metric_family (
        group_id    bigint           NOT NULL REFERENCES metric_group (id) ON DELETE CASCADE,
        name        text             NOT NULL,
        type        smallint         NOT NULL,
        help        text             NOT NULL,
        pushed_at   double precision NOT NULL,
        body        bytea            NOT NULL,
        exposition  text             NOT NULL,
        PRIMARY KEY (group_id, name)
      )`);
    // The consistency check probes (name, type) pairs; it never scans the store.
    await q.query(`CREATE INDEX metric_family_name_type_idx ON metric_family (name, type)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE metric_family`);
    await q.query(`DROP TABLE metric_group`);
    await q.query(`DROP SEQUENCE metric_group_revision_seq`);
  }
}
