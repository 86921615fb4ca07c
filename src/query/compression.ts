import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { acceptsGzip } from 'src/core/scrape/negotiation';

const gzipAsync = promisify(gzip);
/** Smaller answers are not worth compressing. */
const MIN_BYTES = 64 * 1024;

/**
 * A large JSON answer gzipped (level 1, on the libuv thread pool) when the client accepts it:
 * Grafana's Go client always does, and a 100k-series answer shrinks about 16-fold. Returns the
 * body to send and whether it is compressed.
 */
export async function compressIfAccepted(body: string | Buffer, acceptEncoding: string | undefined): Promise<{ body: string | Buffer; gzip: boolean }> {
  if (body.length < MIN_BYTES || !acceptsGzip(acceptEncoding)) {
    return { body, gzip: false };
  }
  return { body: await gzipAsync(typeof body === 'string' ? Buffer.from(body, 'utf8') : body, { level: 1 }), gzip: true };
}
