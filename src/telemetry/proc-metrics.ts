/**
 * The process metrics client_golang's process collector exposes (as upstream Pushgateway 1.11
 * does) that prom-client's defaults lack: `process_virtual_memory_max_bytes` and
 * `process_network_{receive,transmit}_bytes_total`, read from /proc like procfs does. Absent off Linux.
 */
import { readFileSync } from 'node:fs';

/** The soft "Max address space" limit of a /proc/<pid>/limits text; `unlimited` is 2^64-1 as in procfs. */
export function parseMaxAddressSpace(limits: string): number | undefined {
  const line = limits.split('\n').find((l) => l.startsWith('Max address space'));
  const soft = line?.slice('Max address space'.length).trim().split(/\s+/)[0];
  if (soft === undefined) {
    return undefined;
  }
  return soft === 'unlimited' ? 2 ** 64 - 1 : /^\d+$/.test(soft) ? Number(soft) : undefined;
}

/** Received and transmitted bytes summed over every interface of a /proc/<pid>/net/dev text. */
export function parseNetDevTotals(netDev: string): { receive: number; transmit: number } | undefined {
  let receive = 0;
  let transmit = 0;
  let found = false;
  for (const line of netDev.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0 || line.includes('|')) {
      continue;
    }
    const fields = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    if (fields.length >= 16 && fields.every(Number.isFinite)) {
      receive += fields[0];
      transmit += fields[8];
      found = true;
    }
  }
  return found ? { receive, transmit } : undefined;
}

/** Reads a /proc file of this process; undefined where there is none. */
export function readProc(file: string): string | undefined {
  try {
    return readFileSync(`/proc/self/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}
