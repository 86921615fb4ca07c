import { readFileSync } from 'node:fs';
import { execSync } from 'node:child_process';
import * as path from 'node:path';

/** Version data for pushgateway_build_info and /api/v1/status; read once at start. */
export interface BuildInfo {
  version: string;
  revision: string;
  branch: string;
  buildDate: string;
  buildUser: string;
}

function findPackageJson(): { version: string } {
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    try {
      return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string };
    } catch {
      dir = path.dirname(dir);
    }
  }
  return { version: '0.0.0' };
}

function git(args: string): string {
  try {
    return execSync(`git ${args}`, { cwd: __dirname, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return 'unknown';
  }
}

export const BUILD_INFO: BuildInfo = Object.freeze({
  version: findPackageJson().version,
  revision: git('rev-parse --short HEAD'),
  branch: git('rev-parse --abbrev-ref HEAD'),
  buildDate: new Date().toISOString(),
  buildUser: 'unknown',
});
