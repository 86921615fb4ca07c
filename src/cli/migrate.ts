import 'reflect-metadata';
import { loadConfig } from 'src/config/env.schema';
import { DataSource } from 'typeorm';
import { openDatabase } from 'src/storage/database';

/**
 * `npm run migration:run|revert|show`: TypeORM's migration commands on the same data source the
 * gateway uses (DATABASE_URL, or the embedded engine under DATA_DIR), so they work without a server.
 */
async function main(command: string | undefined): Promise<number> {
  const config = loadConfig(process.env);
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 1 });
  try {
    return await db.withMigrationSource((dataSource) => runCommand(command, dataSource));
  } finally {
    await db.close();
  }
}

async function runCommand(command: string | undefined, dataSource: DataSource): Promise<number> {
  switch (command) {
    case 'run': {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      process.stdout.write(applied.length === 0 ? 'No pending migrations.\n' : applied.map((m) => `applied ${m.name}\n`).join(''));
      return 0;
    }
    case 'revert':
      await dataSource.undoLastMigration({ transaction: 'each' });
      process.stdout.write('Reverted the last applied migration (if any).\n');
      return 0;
    case 'show': {
      const executed = (await dataSource.query(`SELECT name FROM migrations ORDER BY id`).catch(() => [])) as { name: string }[];
      for (const m of dataSource.migrations) {
        const done = executed.some((e) => e.name === m.name);
        process.stdout.write(`[${done ? 'X' : ' '}] ${m.name}\n`);
      }
      return 0;
    }
    default:
      process.stderr.write('usage: migrate.js run|revert|show\n');
      return 2;
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
