import { adminQuery } from './test-env';

/** Drops the template database global-setup created. */
export default async function globalTeardown(): Promise<void> {
  const url = process.env.PGW_TEST_SERVER_URL;
  const template = process.env.PGW_TEST_TEMPLATE;
  if (url !== undefined && url !== '' && template !== undefined) {
    await adminQuery(url, `DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
  }
}
