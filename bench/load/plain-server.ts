// The plain Node `net` servers that serve as the request/response benchmarks' baselines
// (echo-server.ts for the dispatcher, line-server.ts for the event dispatcher): loopback, no
// delay, a backlog of 2048, every socket destroyed on close. Each brings only what it does with
// a connection's bytes.

import net from 'node:net';

export interface PlainServer {
  port: number;
  close(): Promise<void>;
}

/** Listens on an ephemeral port; `serve` sets up each accepted socket's reading and replies. */
export function startPlainServer(serve: (sock: net.Socket) => void, host = '127.0.0.1'): Promise<PlainServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.setNoDelay(true);
    serve(sock);
    sock.on('error', () => {});
    sock.on('close', () => sockets.delete(sock));
  });
  return new Promise((resolve) => {
    server.listen({ port: 0, host, backlog: 2048 }, () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}
