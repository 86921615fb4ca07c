import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * A versioned SQL file of migrations/sql (copied next to the compiled migrations by the build), for
 * the migrations that load one. Not a migration itself: migration-source.ts lists those.
 */
export function sqlFile(name: string): string {
  return readFileSync(path.join(__dirname, 'sql', name), 'utf8');
}
