/**
 * Preloaded into the gateway by push-profile.ts (`--latency-split`, `node --require`): splits each
 * push's time inside the gateway into the part before its push statement, the statement's round
 * trip and the part after it. It times every PUT from Node's `request` event to the response's
 * `finish`, and every `pg` query whose text names a push function (`pgw_push…`) from `query()` to
 * its result; the statement is credited to the request that was being handled when it was sent,
 * which is exact at concurrency 1 and meaningless above it. On SIGHUP the medians are written as
 * JSON to $PGW_LATENCY_HOOK_OUT. Never part of the gateway.
 */
import { writeFileSync } from 'node:fs';
import * as http from 'node:http';
import Module from 'node:module';
import { median } from './load';

interface Timing {
  start: bigint;
  queryStart?: bigint;
  queryEnd?: bigint;
}

const out = process.env.PGW_LATENCY_HOOK_OUT;
if (out !== undefined) {
  const requestMs: number[] = [];
  const statementMs: number[] = [];
  const beforeMs: number[] = [];
  const afterMs: number[] = [];
  const ms = (from: bigint, to: bigint): number => Number(to - from) / 1e6;
  let current: Timing | undefined;

  const emit = http.Server.prototype.emit;
  http.Server.prototype.emit = function (this: http.Server, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'request') {
      const [req, res] = args as [http.IncomingMessage, http.ServerResponse];
      if (req.method === 'PUT') {
        const timing: Timing = { start: process.hrtime.bigint() };
        current = timing;
        res.on('finish', () => {
          const end = process.hrtime.bigint();
          requestMs.push(ms(timing.start, end));
          if (timing.queryStart !== undefined && timing.queryEnd !== undefined) {
            beforeMs.push(ms(timing.start, timing.queryStart));
            afterMs.push(ms(timing.queryEnd, end));
          }
        });
      }
    }
    return Reflect.apply(emit, this, [event, ...args]) as boolean;
  } as typeof http.Server.prototype.emit;

  type Loader = (request: string, ...rest: unknown[]) => unknown;
  const loader = Module as unknown as { _load: Loader };
  const load = loader._load;
  let patched = false;
  loader._load = function (this: unknown, request: string, ...rest: unknown[]): unknown {
    const loaded = load.call(this, request, ...rest);
    const client = (loaded as { Client?: { prototype: { query: (...a: unknown[]) => unknown } } }).Client;
    if (!patched && request === 'pg' && client !== undefined) {
      patched = true;
      const query = client.prototype.query;
      client.prototype.query = function (this: unknown, ...a: unknown[]): unknown {
        const config = a[0];
        const text = typeof config === 'string' ? config : (config as { text?: string } | undefined)?.text;
        const result = query.apply(this, a);
        if (text !== undefined && text.includes('pgw_push') && result instanceof Promise) {
          const timing = current;
          const start = process.hrtime.bigint();
          result.then(
            () => {
              const end = process.hrtime.bigint();
              statementMs.push(ms(start, end));
              if (timing !== undefined) {
                timing.queryStart = start;
                timing.queryEnd = end;
              }
            },
            () => undefined,
          );
        }
        return result;
      };
    }
    return loaded;
  };

  process.on('SIGHUP', () => {
    writeFileSync(
      out,
      JSON.stringify({
        requests: requestMs.length,
        statements: statementMs.length,
        requestMs: median(requestMs),
        beforeStatementMs: median(beforeMs),
        statementMs: median(statementMs),
        afterStatementMs: median(afterMs),
      }),
    );
    requestMs.length = statementMs.length = beforeMs.length = afterMs.length = 0;
  });
}
