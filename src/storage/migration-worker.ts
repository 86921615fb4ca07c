import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { DatabaseError } from 'pg';
// Relative import: jest's globalSetup loads this file without the src/ path mapping.
import { openMigrationSource } from './migration-source';

interface Request {
  pgwMigrate: true;
  url: string;
  connectTimeoutMs: number;
}

/** An error as it crosses the thread boundary: what asUnavailable and sqlStateOf look at. */
interface ErrorReply {
  message: string;
  code?: string;
  fromServer: boolean;
}

type Reply = { applied: string[] } | { error: ErrorReply };

/** False under ts-jest, where this file is TypeScript a worker thread cannot load. */
export const WORKER_AVAILABLE = __filename.endsWith('.js');

/**
 * Applies pending migrations in a worker thread and resolves with the names applied. TypeORM's
 * modules and heap (10 MiB resident) leave with the thread instead of staying in the gateway for
 * good (issue 14). A failure is rethrown as the same kind of error (`pg`'s DatabaseError with its
 * SQLSTATE, or an Error with its errno code), so callers classify it as they would in-process.
 */
export function runMigrationsInWorker(url: string, connectTimeoutMs: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const request: Request = { pgwMigrate: true, url, connectTimeoutMs };
    const worker = new Worker(__filename, { workerData: request });
    worker.once('message', (reply: Reply) => ('applied' in reply ? resolve(reply.applied) : reject(rebuild(reply.error))));
    worker.once('error', reject);
    // After a reply this changes nothing; without one (the thread died), the caller hears of it.
    worker.once('exit', (code) => reject(new Error(`migration worker exited (${code}) without an answer`)));
  });
}

function rebuild(e: ErrorReply): Error {
  const error = e.fromServer ? new DatabaseError(e.message, 0, 'error') : new Error(e.message);
  if (e.code !== undefined) {
    (error as { code?: string }).code = e.code;
  }
  return error;
}

async function migrate(request: Request): Promise<Reply> {
  try {
    const ds = await openMigrationSource(request.url, request.connectTimeoutMs);
    try {
      return { applied: (await ds.runMigrations({ transaction: 'each' })).map((m) => m.name) };
    } finally {
      await ds.destroy();
    }
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return {
      error: {
        message: error instanceof Error ? error.message : String(error),
        code: typeof code === 'string' ? code : undefined,
        fromServer: error instanceof DatabaseError,
      },
    };
  }
}

if (!isMainThread && (workerData as Partial<Request> | null)?.pgwMigrate === true) {
  void migrate(workerData as Request).then((reply) => parentPort?.postMessage(reply));
}
