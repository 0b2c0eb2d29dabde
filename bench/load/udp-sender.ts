// UDP load for the event dispatcher benchmark: sends `<bench:load PING n=<i>` datagrams to a port
// for `ms` milliseconds, in bursts of 64 awaited sends (the kernel drops what the receiver's
// buffer cannot hold; the receiver counts what it dispatched). Prints {"sent": n}.
//
//   node bench/load/udp-sender.ts <port> <ms>

import dgram from 'node:dgram';

const [portS, msS] = process.argv.slice(2);
const port = Number(portS);
const end = performance.now() + Number(msS);
const sock = dgram.createSocket('udp4');
let sent = 0;
while (performance.now() < end) {
  const burst: Promise<void>[] = [];
  for (let i = 0; i < 64; i++) {
    const n = sent++;
    burst.push(new Promise<void>((resolve) => sock.send(`<bench:load PING n=${n}`, port, '127.0.0.1', () => resolve())));
  }
  await Promise.all(burst);
  // Let the receiver's process keep up a little: the figure is a rate of dispatched messages.
  await new Promise((r) => setImmediate(r));
}
sock.close();
process.stdout.write(`${JSON.stringify({ sent })}\n`);
