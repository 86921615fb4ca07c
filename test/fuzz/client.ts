import * as http from 'node:http';
import * as net from 'node:net';
import type { FuzzRequest } from './corpus';

/**
 * What a request got: an HTTP status; '503 query timeout' (the query API's timeout answer, as
 * Prometheus gives it); 'closed' (raw HTTP answered by closing); 'timeout' (no answer in time);
 * 'error: ...' (the connection failed).
 */
export type Outcome = number | '503 query timeout' | 'closed' | 'timeout' | `error: ${string}`;

/** Sends fuzz requests to one gateway over keep-alive connections. */
export class FuzzClient {
  private readonly agent: http.Agent;

  constructor(
    private readonly base: URL,
    maxSockets: number,
    private readonly timeoutMs: number,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  send(req: FuzzRequest): Promise<Outcome> {
    return req.raw !== undefined ? this.sendRaw(req.raw) : this.sendHttp(req);
  }

  close(): void {
    this.agent.destroy();
  }

  private sendHttp(req: FuzzRequest): Promise<Outcome> {
    return new Promise((resolve) => {
      let settled = false;
      const done = (o: Outcome): void => {
        if (!settled) {
          settled = true;
          resolve(o);
        }
      };
      let request: http.ClientRequest;
      try {
        request = http.request({
          agent: this.agent,
          host: this.base.hostname,
          port: this.base.port,
          method: req.method,
          path: req.path,
          headers: { ...req.headers, ...(req.body !== undefined ? { 'content-length': String(req.body.length) } : {}) },
          timeout: this.timeoutMs,
        });
      } catch (error) {
        done(`error: ${(error as Error).message}`);
        return;
      }
      request.on('response', (res) => {
        let head = '';
        res.on('data', (d: Buffer) => {
          if ((res.statusCode ?? 0) >= 500 && head.length < 500) {
            head += d.toString('utf8');
          }
        });
        res.on('end', () => done(res.statusCode === 503 && /"errorType":"timeout"/.test(head) ? '503 query timeout' : (res.statusCode ?? 0)));
        res.on('error', (e) => done(`error: ${e.message}`));
      });
      request.on('timeout', () => {
        done('timeout');
        request.destroy();
      });
      request.on('error', (e) => done(`error: ${e.message}`));
      request.end(req.body);
    });
  }

  /** Writes the bytes on a new connection and reads the first status line until the server closes. */
  private sendRaw(raw: Buffer): Promise<Outcome> {
    return new Promise((resolve) => {
      const socket = net.connect(Number(this.base.port), this.base.hostname, () => socket.end(raw));
      let received = '';
      const timer = setTimeout(() => {
        socket.destroy();
        resolve(statusOf(received) ?? 'timeout');
      }, this.timeoutMs);
      socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(statusOf(received) ?? 'closed');
      });
    });
  }
}

/** The final status of a raw exchange: the first status line that is not an interim 1xx (`100 Continue`). */
function statusOf(received: string): number | undefined {
  for (const m of received.matchAll(/(?:^|\r\n)HTTP\/1\.[01] (\d{3})/g)) {
    if (!m[1].startsWith('1')) {
      return Number(m[1]);
    }
  }
  return undefined;
}

/** Runs `fn` over `items` with at most `concurrency` in flight, in order of start. */
export async function pool<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}
