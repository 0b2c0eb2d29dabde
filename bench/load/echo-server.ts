// The dispatcher benchmark's baseline: a plain Node `net` echo server with the same length32
// framing: the complete frames of each chunk are written back as they are, in one write.

import { startPlainServer, type PlainServer } from './plain-server.ts';

export function startEchoServer(host = '127.0.0.1'): Promise<PlainServer> {
  return startPlainServer((sock) => {
    let pending: Buffer | null = null;
    sock.on('data', (chunk: Buffer) => {
      const b = pending === null ? chunk : Buffer.concat([pending, chunk]);
      let off = 0;
      while (b.length - off >= 4) {
        const len = b.readUInt32BE(off);
        if (b.length - off - 4 < len) break;
        off += 4 + len;
      }
      if (off > 0) sock.write(b.subarray(0, off));
      pending = off === b.length ? null : Buffer.from(b.subarray(off));
    });
  }, host);
}
