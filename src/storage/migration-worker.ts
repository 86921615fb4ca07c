import { fork } from 'node:child_process';
import { DatabaseError } from 'pg';
// Relative import: jest's globalSetup loads this file without the src/ path mapping.
import { openMigrationSource } from './migration-source';

interface Request {
  url: string;
  connectTimeoutMs: number;
}

/** An error as it crosses the process boundary: what asUnavailable and sqlStateOf look at. */
interface ErrorReply {
  message: string;
  code?: string;
  fromServer: boolean;
}

type Reply = { applied: string[] } | { error: ErrorReply };

/** False under ts-jest, where this file is TypeScript a plain `node` cannot load. */
export const WORKER_AVAILABLE = __filename.endsWith('.js');

/** The environment variable that makes this file, run as a program, the migrating child. */
const CHILD_MARK = 'PGW_MIGRATION_CHILD';

/**
 * Applies pending migrations in a child process and resolves with the names applied. TypeORM's
 * modules and heap (10 MiB resident) leave with it instead of staying in the gateway for good,
 * and so does what a thread would have left behind in the gateway's own allocator (a worker
 * thread, used until 2026-12-04, left ~4.5 MiB of malloc arenas resident; issue 14). A failure is
 * rethrown as the same kind of error (`pg`'s DatabaseError with its SQLSTATE, or an Error with
 * its errno code), so callers classify it as they would in-process. The child gets none of the
 * gateway's node flags (a profiler or inspector flag is the gateway's, not the child's).
 */
export function runMigrationsInWorker(url: string, connectTimeoutMs: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const request: Request = { url, connectTimeoutMs };
    const child = fork(__filename, [], { env: { ...process.env, [CHILD_MARK]: '1' }, execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (reply: Reply) => ('applied' in reply ? resolve(reply.applied) : reject(rebuild(reply.error))));
    child.once('error', reject);
    // After a reply this changes nothing; without one (the process died), the caller hears of it.
    child.once('exit', (code, signal) => reject(new Error(`migration process exited (${signal ?? code}) without an answer`)));
    child.send(request);
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

if (process.env[CHILD_MARK] === '1' && require.main === module) {
  process.once('message', (request: Request) => {
    void migrate(request).then((reply) => process.send?.(reply, undefined, undefined, () => process.disconnect()));
  });
}
