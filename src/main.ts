import { ConfigError, loadConfig } from 'src/config/env.schema';
import { isClusterWorker, QUIT_MESSAGE, runPrimary } from 'src/cluster';
import cluster from 'node:cluster';
import { servingHeap, startupHeap, trimWhenQuiet } from 'src/runtime/heap';
import { withDeferredDateTimeFormat } from 'src/runtime/deferred-intl';

/** SIGTERM to exit, at most (DESIGN §5). */
const SHUTDOWN_DEADLINE_MS = 10_000;

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
  if (config.workers > 1 && cluster.isPrimary) {
    runPrimary(config.workers);
    return;
  }
  startupHeap();
  // Loaded only here: a cluster primary never loads the application.
  await import('reflect-metadata');
  // Before anything else loads it: its logger's unused date formatter would map ICU's data.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  withDeferredDateTimeFormat(() => require('@nestjs/common') as unknown);
  const { createApp } = await import('src/app');
  const { LIFECYCLE } = await import('src/api/lifecycle');
  const { Logger } = await import('@nestjs/common');
  const app = await createApp(config);
  let closing = false;
  const shutdown = (): void => {
    if (closing) {
      return;
    }
    closing = true;
    // Stops accepting connections, answers 503 to requests that arrive on open ones, lets in-flight
    // requests finish (a push is committed and answered 200, or not committed and answered 503),
    // then closes the database. Every acknowledged push is already committed; the deadline only
    // bounds background work (a VACUUM in progress) that would hold the exit up.
    setTimeout(() => {
      process.stderr.write(`shutdown took longer than ${SHUTDOWN_DEADLINE_MS / 1000} s; exiting\n`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  // `/-/quit` in one worker stops the whole cluster, as it stops the one process without one.
  LIFECYCLE.requestShutdown = isClusterWorker() ? () => process.send?.(QUIT_MESSAGE) : shutdown;
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  await app.listen(config.port, config.host);
  servingHeap();
  trimWhenQuiet();
  new Logger('Gateway').log(`listening on ${await app.getUrl()}${config.routePrefix}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
