// The event dispatcher benchmark's baseline: a plain Node `net` server that splits the same lines
// and writes one fixed reply line per line (in one write per chunk). It parses nothing.

import { startPlainServer, type PlainServer } from './plain-server.ts';

const REPLY = 'bench:load/ABSOLUTELY reply_timestamp=1700000000.000000000\n';

export function startLineServer(host = '127.0.0.1'): Promise<PlainServer> {
  return startPlainServer((sock) => {
    let pending = '';
    sock.setEncoding('latin1');
    sock.on('data', (chunk: string) => {
      const b = pending + chunk;
      let off = 0;
      let n = 0;
      let nl: number;
      while ((nl = b.indexOf('\n', off)) !== -1) {
        n++;
        off = nl + 1;
      }
      pending = b.slice(off);
      if (n > 0) sock.write(REPLY.repeat(n));
    });
  }, host);
}
