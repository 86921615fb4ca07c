import type { Socket } from 'node:net';
import { clientErrorAnswer, handleClientError } from 'src/http/client-errors';

/** A socket double that records writes and whether it was destroyed (no network). */
function fakeSocket(state: { writable?: boolean; destroyed?: boolean; headersSent?: boolean } = {}): Socket & { written: string[]; wasDestroyed: boolean } {
  const socket = {
    writable: state.writable ?? true,
    destroyed: state.destroyed ?? false,
    _httpMessage: state.headersSent === undefined ? undefined : { headersSent: state.headersSent },
    written: [] as string[],
    wasDestroyed: false,
    write(data: string) {
      this.written.push(data);
      return true;
    },
    destroy() {
      this.wasDestroyed = true;
    },
  };
  return socket as unknown as Socket & { written: string[]; wasDestroyed: boolean };
}

const error = (code?: string): Error & { code?: string } => Object.assign(new Error('x'), { code });

describe('clientErrorAnswer', () => {
  it.each([
    ['receive timeout', 'ERR_HTTP_REQUEST_TIMEOUT', 408],
    ['head too large', 'HPE_HEADER_OVERFLOW', 431],
    ['malformed request', 'HPE_INVALID_METHOD', 400],
    ['no code', undefined, 400],
  ])('%s', (_name, code, status) => {
    expect(clientErrorAnswer(code).status).toBe(status);
  });
});

describe('handleClientError', () => {
  it('answers with Connection: close and no body, then closes', () => {
    const socket = fakeSocket();
    handleClientError(error('HPE_HEADER_OVERFLOW'), socket);
    expect(socket.written).toEqual([
      'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nX-Error: request head too large\r\nContent-Length: 0\r\n\r\n',
    ]);
    expect(socket.wasDestroyed).toBe(true);
  });

  it.each([
    ['a reset connection', error('ECONNRESET'), {}, false],
    ['a destroyed socket', error('HPE_INVALID_METHOD'), { destroyed: true }, false],
    ['a response already started', error('ERR_HTTP_REQUEST_TIMEOUT'), { headersSent: true }, true],
    ['a socket no longer writable', error('HPE_INVALID_METHOD'), { writable: false }, true],
  ])('writes nothing for %s', (_name, err, state, destroys) => {
    const socket = fakeSocket(state);
    handleClientError(err, socket);
    expect(socket.written).toEqual([]);
    expect(socket.wasDestroyed).toBe(destroys);
  });
});
