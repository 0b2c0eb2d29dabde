// Named pipes (FIFOs) as sockets: the reading side held read-write so writers may come and go
// without an end of file, and a non-blocking writer whose open fails at once (ENXIO) while nobody
// reads, so a caller can retry on its own schedule instead of blocking the thread in open(2).

import { execFileSync } from 'node:child_process';
import { constants, existsSync, open, openSync, statSync } from 'node:fs';
import net from 'node:net';

/** Checks that `path` is a FIFO; creates it (mode 600) when missing and `create` is set. */
export function ensureFifo(path: string, create: boolean): void {
  if (!existsSync(path)) {
    if (!create) throw new Error(`FIFO ${path} does not exist`);
    execFileSync('mkfifo', ['-m', '600', path]);
  }
  if (!statSync(path).isFIFO()) throw new Error(`${path} is not a FIFO`);
}

/** Opens the FIFO read-write and non-blocking: never waits for a writer, never sees a writer's close as EOF. */
export function openFifoReader(path: string): net.Socket {
  const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
  return new net.Socket({ fd, readable: true, writable: false });
}

/** Opens the FIFO for writing without waiting: no reader yet (ENXIO) is an error naming the FIFO. */
export function openFifoWriter(path: string, done: (r: net.Socket | Error) => void): void {
  open(path, constants.O_WRONLY | constants.O_NONBLOCK, (err, fd) => {
    if (err) return done(err.code === 'ENXIO' ? new Error(`FIFO ${path} has no reader`) : err);
    done(new net.Socket({ fd, readable: false, writable: true }));
  });
}
