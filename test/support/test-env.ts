import { Client } from 'pg';

/** Where integration tests get their PostgreSQL server; see global-setup.ts. */
export const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** Resolved by global setup: a server URL, or undefined when the tests run on the embedded engine. */
export function serverUrl(): string | undefined {
  const url = process.env.PGW_TEST_SERVER_URL;
  return url === undefined || url === '' ? undefined : url;
}

/** Template database holding the migrated schema (server mode only). */
export function templateName(): string {
  return process.env.PGW_TEST_TEMPLATE ?? 'pgw_test_template';
}

/** Replaces the database name in a postgres:// URL. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Runs one statement on the server's maintenance database. */
export async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Prints why a test is skipped and returns jest's `it` or `it.skip` accordingly, so a skipped test
 * always says why in the output.
 */
export function itWhen(condition: boolean, reason: string): jest.It {
  if (!condition) {
    process.stdout.write(`SKIPPED (${expect.getState().testPath ?? ''}): ${reason}\n`);
    return it.skip;
  }
  return it;
}
