import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from 'src/app';
import { ConfigError, loadConfig } from 'src/config/env.schema';
import { LIFECYCLE } from 'src/api/lifecycle';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const app = await createApp(config);
  let closing = false;
  const shutdown = (): void => {
    if (closing) {
      return;
    }
    closing = true;
    // Every acknowledged push is already committed, so closing only drains in-flight requests.
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  LIFECYCLE.requestShutdown = shutdown;
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  await app.listen(config.port, config.host);
  new Logger('Gateway').log(`listening on ${await app.getUrl()}${config.routePrefix}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
