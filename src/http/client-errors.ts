import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** The answer to a request Node's HTTP parser refused before any route ran. */
export interface ClientErrorAnswer {
  status: number;
  message: string;
}

/**
 * Status and message for an error Node raises while reading a request (its `clientError` event):
 * a receive timeout (HTTP_HEADERS_TIMEOUT / HTTP_REQUEST_TIMEOUT) is 408, a head over
 * HTTP_MAX_HEADER_BYTES is 431, anything else the parser refuses (malformed request line, header,
 * chunk or length) is 400.
 */
export function clientErrorAnswer(code: string | undefined): ClientErrorAnswer {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, message: 'request not received in time' };
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, message: 'request head too large' };
    default:
      return { status: 400, message: `malformed HTTP request${code === undefined ? '' : ` (${code})`}` };
  }
}

/**
 * Fastify's clientErrorHandler: answers as Node's own default does, with the status and
 * `Connection: close`, so a keep-alive client does not send its next request on a socket that is
 * going away (Fastify's default handler omits the header and adds a JSON body, which a HEAD
 * request's client then misreads). Nothing is written when the socket is gone or a response on it
 * has already started.
 */
export function handleClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) {
    return;
  }
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && inFlight?.headersSent !== true) {
    // The reason goes in a header, not a body: the request (maybe a HEAD, which must get no body)
    // could not be read, so its method is unknown.
    const { status, message } = clientErrorAnswer(error.code);
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nX-Error: ${message}\r\nContent-Length: 0\r\n\r\n`);
  }
  socket.destroy();
}

const NOT_FOUND = '404 page not found\n';

/**
 * The server's `connect` listener. Node hands a CONNECT request to that event instead of the
 * router and, with no listener, closes the connection without a word; the gateway serves no
 * CONNECT route, so it answers as it does any method no route takes (`PATCH`: 404), then closes.
 */
export function answerConnect(_req: unknown, socket: Duplex): void {
  socket.on('error', () => undefined);
  socket.end(
    'HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n' +
      `Content-Length: ${NOT_FOUND.length}\r\nConnection: close\r\n\r\n${NOT_FOUND}`,
  );
}
