import * as net from 'node:net';

/**
 * A loopback TCP proxy in front of a database, to cut the network without touching the server:
 * `cut()` stops forwarding in both directions and leaves new connections unanswered, as a dropped
 * route does (no RST, no FIN: bytes are held, as TCP would keep retransmitting them); `restore()`
 * delivers what was held and forwards again (connections made during the cut are dropped then, as
 * their connection attempts would have timed out).
 */
export interface TcpProxy {
  readonly port: number;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let blackhole = false;
  const sockets = new Set<net.Socket>();
  const stalled = new Set<net.Socket>();
  const pipes = new Set<[net.Socket, net.Socket]>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('error', () => undefined);
    client.on('close', () => sockets.delete(client));
    if (blackhole) {
      stalled.add(client);
      return;
    }
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    client.on('close', () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
    pipes.add([client, upstream]);
    client.on('close', () => pipes.forEach((p) => p[0] === client && pipes.delete(p)));
    if (blackhole) {
      client.pause();
      upstream.pause();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    cut: () => {
      blackhole = true;
      pipes.forEach(([a, b]) => {
        a.pause();
        b.pause();
      });
    },
    restore: () => {
      blackhole = false;
      pipes.forEach(([a, b]) => {
        a.resume();
        b.resume();
      });
      stalled.forEach((s) => s.destroy());
      stalled.clear();
    },
    close: async () => {
      sockets.forEach((s) => s.destroy());
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
