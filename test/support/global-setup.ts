import { execSync } from 'node:child_process';
import * as path from 'node:path';
import { openDatabase } from '../../src/storage/database';
import { adminQuery, DEFAULT_TEST_DATABASE_URL, withDatabase } from './test-env';

/**
 * Once per `npm test`: builds dist/ (process-level tests start `node dist/src/main.js`), picks the
 * PostgreSQL server (TEST_DATABASE_URL, else the local default if it answers, else none: embedded
 * engine), and migrates a template database each spec file copies with CREATE DATABASE ... TEMPLATE.
 */
export default async function globalSetup(): Promise<void> {
  const root = path.resolve(__dirname, '../..');
  if (process.env.PGW_TEST_SKIP_BUILD !== '1') {
    execSync('npm run build --silent', { cwd: root, stdio: 'inherit' });
  }
  const candidate = process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL;
  // PGW_TEST_EMBEDDED=1 simulates a machine without a PostgreSQL server.
  const reachable =
    process.env.PGW_TEST_EMBEDDED !== '1' &&
    (await adminQuery(candidate, 'SELECT 1').then(
      () => true,
      () => false,
    ));
  if (!reachable) {
    if (process.env.TEST_DATABASE_URL !== undefined && process.env.PGW_TEST_EMBEDDED !== '1') {
      throw new Error(`TEST_DATABASE_URL=${process.env.TEST_DATABASE_URL} does not answer`);
    }
    process.stdout.write('\nNo PostgreSQL server answers; integration tests run on the embedded engine (PGlite).\n');
    process.env.PGW_TEST_SERVER_URL = '';
    return;
  }
  const template = `pgw_test_template_${process.pid}`;
  process.env.PGW_TEST_SERVER_URL = candidate;
  process.env.PGW_TEST_TEMPLATE = template;
  await adminQuery(candidate, `DROP DATABASE IF EXISTS ${template}`);
  await adminQuery(candidate, `CREATE DATABASE ${template}`);
  const db = await openDatabase({ databaseUrl: withDatabase(candidate, template), dataDir: '', poolSize: 1, migrate: true });
  await db.close();
}
