import * as fs from 'node:fs';
import * as path from 'node:path';

/** PGlite served in-process on a Unix socket that only this OS user can open. */
export interface EmbeddedEngine {
  /** postgres:// URL of the socket. */
  url: string;
  stop(): Promise<void>;
}

/** The socket's port number (part of its file name, `.s.PGSQL.<port>`, as libpq names them). */
const SOCKET_PORT = 5432;
/** sun_path holds 108 bytes on Linux, including the terminating NUL. */
const MAX_SOCKET_PATH = 107;

/**
 * Starts PGlite persisted under `<dataDir>/pglite`, served on a Unix socket in `<dataDir>/run`
 * (a directory of mode 0700, the socket itself 0600): other local users cannot reach the store,
 * and there is no TCP port at all. A second process on the same dataDir is refused (a lock file
 * holding the owner's pid; a lock left by a dead process is taken over), because two engines on one
 * directory would corrupt it.
 */
export async function startEmbedded(dataDir: string): Promise<EmbeddedEngine> {
  const root = path.resolve(dataDir);
  const storeDir = path.join(root, 'pglite');
  const runDir = path.join(root, 'run');
  const socketPath = path.join(runDir, `.s.PGSQL.${SOCKET_PORT}`);
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH) {
    throw new Error(`DATA_DIR ${root} is too long for the embedded engine's socket ${socketPath} (at most ${MAX_SOCKET_PATH} bytes)`);
  }
  fs.mkdirSync(storeDir, { recursive: true });
  fs.mkdirSync(runDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(runDir, 0o700);
  const lock = takeLock(path.join(root, 'gateway.lock'), root);
  try {
    fs.rmSync(socketPath, { force: true }); // left by a process that died; the lock says none is alive
    // Loaded only in embedded mode: a replica on a PostgreSQL server never pays for the engine's code.
    const { PGlite } = await import('@electric-sql/pglite');
    const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
    const db = await PGlite.create(storeDir);
    // The gateway holds one connection at a time, but a closed connection's handler is released a
    // tick late: room for a second lets the next connection (after migrations, or replacing a
    // broken one) in without a "too many connections" race. The engine runs one statement at a time.
    const server = new PGLiteSocketServer({ db, path: socketPath, maxConnections: 2 });
    await server.start();
    fs.chmodSync(socketPath, 0o600);
    return {
      url: `postgres://postgres@localhost:${SOCKET_PORT}/postgres?host=${encodeURIComponent(runDir)}`,
      stop: async () => {
        await server.stop();
        await db.close();
        fs.rmSync(socketPath, { force: true });
        lock.release();
      },
    };
  } catch (error) {
    lock.release();
    throw error;
  }
}

/** Creates the lock file with our pid, or throws naming the live process that holds it. */
function takeLock(file: string, root: string): { release(): void } {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return { release: () => fs.rmSync(file, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw error;
      }
    }
    const owner = Number.parseInt(fs.readFileSync(file, 'utf8'), 10);
    if (Number.isInteger(owner) && isAlive(owner)) {
      throw new Error(
        `DATA_DIR ${root} is in use by another gateway (pid ${owner}); two processes on one embedded store would corrupt it. ` +
          'Stop that process, choose another DATA_DIR, or run replicas on a PostgreSQL server (DATABASE_URL).',
      );
    }
    fs.rmSync(file, { force: true }); // stale: its process is gone
  }
  throw new Error(`could not take the lock ${file}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
