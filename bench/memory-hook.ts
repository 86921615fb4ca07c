/**
 * Preloaded into the gateway by memory-profile.ts (`node --require`): on SIGHUP, optionally a full
 * GC (when the request file says `gc`, or `last-resort` for a memory-reducing one; node must run
 * with --expose-gc), then process.memoryUsage()
 * and V8's heap spaces written as JSON to $PGW_MEMORY_HOOK_OUT. Never part of the gateway.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as v8 from 'node:v8';

const out = process.env.PGW_MEMORY_HOOK_OUT;
if (out !== undefined) {
  process.on('SIGHUP', () => {
    const gc = (globalThis as { gc?: (options?: object) => void }).gc;
    let ask = '';
    try {
      ask = readFileSync(`${out}.ask`, 'utf8');
    } catch {
      // no request file: report only
    }
    if (ask === 'gc' && gc !== undefined) {
      gc();
    } else if (ask === 'last-resort' && gc !== undefined) {
      // V8's memory-reducing collection (several full GCs, compacting every page).
      gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    }
    const spaces = Object.fromEntries(
      v8.getHeapSpaceStatistics().map((s) => [s.space_name, { size: s.space_size, used: s.space_used_size, physical: s.physical_space_size }]),
    );
    writeFileSync(out, JSON.stringify({ memory: process.memoryUsage(), spaces }));
  });
}
