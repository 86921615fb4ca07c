import cluster, { Worker } from 'node:cluster';

/** How long SIGTERM may take to end every worker before the primary gives up on them (DESIGN §5: 10 s). */
const SHUTDOWN_DEADLINE_MS = 10_000;
/** A worker that dies is replaced after this pause (and not more often). */
const RESPAWN_DELAY_MS = 1000;

/** A worker asks the primary to stop the whole gateway (`/-/quit` in a worker). */
export const QUIT_MESSAGE = 'pgw:quit';

/**
 * WORKERS=N (N > 1): this process becomes a small primary that forks N gateway processes sharing
 * one listening port (node:cluster hands each new connection to the next worker in turn). Workers
 * are independent replicas on the same database (DESIGN §5 makes that safe): each has its own pool
 * and scrape cache, and background jobs stay single-leader by advisory lock. The first worker
 * applies pending migrations before the others start, so they never race on them. The primary loads
 * none of the application, replaces a worker that dies, and on SIGTERM/SIGINT (or a worker's
 * `/-/quit`) passes SIGTERM to every worker and exits when they have drained.
 */
export function runPrimary(workers: number): void {
  const log = (message: string): void => void process.stderr.write(`[cluster ${process.pid}] ${message}\n`);
  let stopping = false;
  const live = new Set<Worker>();

  const fork = (env: Record<string, string>): Worker => {
    const worker = cluster.fork(env);
    live.add(worker);
    worker.on('message', (message: unknown) => {
      if (message === QUIT_MESSAGE) {
        stop('quit requested by a worker');
      }
    });
    worker.on('exit', (code, signal) => {
      live.delete(worker);
      if (stopping) {
        if (live.size === 0) {
          process.exit(0);
        }
        return;
      }
      log(`worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
      setTimeout(() => {
        if (!stopping) {
          (othersStarted ? forkOther : forkFirst)();
        }
      }, RESPAWN_DELAY_MS).unref();
    });
    return worker;
  };
  let othersStarted = false;
  const forkOther = (): void => void fork({ DB_MIGRATIONS_RUN: 'false' });
  // Until one worker listens (its migrations applied), workers start one at a time, each migrating.
  const forkFirst = (): void => {
    fork({}).once('listening', () => {
      if (!othersStarted) {
        othersStarted = true;
        for (let i = 1; i < workers; i++) {
          forkOther();
        }
      }
    });
  };

  const stop = (why: string): void => {
    if (stopping) {
      return;
    }
    stopping = true;
    log(`${why}: stopping ${live.size} worker(s)`);
    setTimeout(() => {
      log(`workers still running after ${SHUTDOWN_DEADLINE_MS / 1000} s; exiting`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    if (live.size === 0) {
      process.exit(0);
    }
    for (const worker of live) {
      worker.process.kill('SIGTERM');
    }
  };

  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  forkFirst();
}

/** Whether this process is a worker of runPrimary (then `/-/quit` must stop the whole cluster). */
export function isClusterWorker(): boolean {
  return cluster.isWorker;
}
