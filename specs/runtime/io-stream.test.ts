// runtime/io stream connections over real sockets, a child's stdio and a FIFO: frames through a
// decoder, reading held and released on credit, writes refused by a slow reader hold reading,
// garbage bytes, a throwing handler, close with a grace period, flushed with a deadline, idle.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Duplex } from 'node:stream';
import { spawn, execFileSync } from 'node:child_process';
import { listen, StreamConnection, type Listener, type StreamHandlers } from '../../runtime/io/index.ts';
import { encodeLength32, Length32Decoder } from '../../protocols/framing/index.ts';
import { waitFor } from './helpers.ts';

const FRAMING = { maxFrameSize: 1024 };
const cleanups: (() => void)[] = [];
after(() => {
  for (const c of cleanups.reverse()) c();
});

/** A listener whose accepted sockets become StreamConnections built by `make`. */
async function serve(make: (s: net.Socket) => StreamConnection<any>): Promise<{ l: Listener; conns: StreamConnection<any>[] }> {
  const conns: StreamConnection<any>[] = [];
  const l = await listen({ target: { kind: 'tcp', host: '127.0.0.1', port: 0 }, onConnection: (s) => conns.push(make(s)) });
  cleanups.push(() => l.stop());
  return { l, conns };
}

function client(port: number, allowHalfOpen = false): net.Socket {
  const c = net.connect({ host: '127.0.0.1', port, allowHalfOpen });
  c.on('error', () => {});
  cleanups.push(() => c.destroy());
  return c;
}

const frame = (s: string): Buffer => encodeLength32(Buffer.from(s), FRAMING);

test('frames split across reads come out whole and in order; a reply goes back', async () => {
  const got: string[] = [];
  const { l } = await serve((s) => {
    const c: StreamConnection<Buffer> = new StreamConnection(s, {
      decoder: new Length32Decoder(FRAMING),
      handlers: {
        frames(fs) {
          for (const f of fs) {
            got.push(f.toString());
            c.write(frame(f.toString().toUpperCase()));
          }
        },
      },
    });
    return c;
  });
  const c = client(l.port);
  const bytes = Buffer.concat(['one', 'two', 'three'].map(frame));
  for (let i = 0; i < bytes.length; i += 3) c.write(bytes.subarray(i, i + 3));
  const replies: string[] = [];
  const dec = new Length32Decoder(FRAMING);
  c.on('data', (b) => replies.push(...dec.push(b).map((f) => f.toString())));
  await waitFor(() => replies.length === 3, 'three replies');
  assert.deepEqual(got, ['one', 'two', 'three']);
  assert.deepEqual(replies, ['ONE', 'TWO', 'THREE']);
});

test('hold stops reading until every hold is released; head bytes come first', async () => {
  const got: string[] = [];
  let conn: StreamConnection<Buffer> | null = null;
  const { l } = await serve((s) => {
    conn = new StreamConnection(s, {
      decoder: new Length32Decoder(FRAMING),
      head: frame('head'),
      holdAtStart: 'credit',
      handlers: { frames: (fs) => got.push(...fs.map((f) => f.toString())) },
    });
    return conn;
  });
  const c = client(l.port);
  c.write(frame('a'));
  await waitFor(() => conn, 'adopted');
  assert.deepEqual(got, ['head']);
  assert.equal(conn!.reading, false);
  conn!.hold('queue');
  conn!.release('credit');
  assert.equal(conn!.reading, false, 'still held by queue');
  c.write(frame('b'));
  await new Promise((r) => setTimeout(r, 30)); // nothing may arrive while held (a negative check)
  assert.deepEqual(got, ['head']);
  conn!.release('queue');
  await waitFor(() => got.length === 3, 'the held frames');
  assert.deepEqual(got, ['head', 'a', 'b']);
});

test('a slow reader: a refused write holds reading until the stream drains', async () => {
  let conn: StreamConnection<Buffer> | null = null;
  let writable = 0;
  const big = Buffer.alloc(1 << 20, 0x61);
  const { l } = await serve((s) => {
    conn = new StreamConnection(s, {
      handlers: {
        bytes: () => {
          while (conn!.write(big));
        },
        writable: () => writable++,
      },
    });
    return conn;
  });
  const c = client(l.port);
  c.pause();
  c.write('go');
  await waitFor(() => conn?.writeBlocked, 'a refused write');
  assert.equal(conn!.reading, false, 'reading held while the peer does not read');
  c.resume();
  await waitFor(() => writable > 0, 'drained');
  assert.equal(conn!.reading, true);
});

test('garbage bytes: framingError once, later bytes dropped, the FIN still seen', async () => {
  const events: string[] = [];
  const { l } = await serve(
    (s) =>
      new StreamConnection(s, {
        decoder: new Length32Decoder({ maxFrameSize: 16 }),
        handlers: {
          frames: (fs) => events.push(...fs.map((f) => `frame:${f}`)),
          framingError: (e) => events.push(`framing:${e.code}`),
          end: () => events.push('end'),
          closed: () => events.push('closed'),
        },
      }),
  );
  const c = client(l.port);
  c.write(Buffer.concat([frame('ok'), Buffer.from([0xff, 0xff, 0xff, 0xff]), Buffer.from('garbage garbage')]));
  c.end(Buffer.from('more garbage'));
  await waitFor(() => events.includes('end'), 'the FIN');
  assert.deepEqual(events.slice(0, 3), ['frame:ok', 'framing:frame-too-large', 'end']);
});

test('a throwing handler closes only its own connection; fault sees the error', async () => {
  const faults: string[] = [];
  const { l } = await serve(
    (s) =>
      new StreamConnection(s, {
        handlers: {
          bytes(b) {
            if (b.includes('boom')) throw new Error('handler bug');
            s.write(b);
          },
          fault(err) {
            faults.push((err as Error).message);
            s.destroy();
          },
        },
      }),
  );
  const bad = client(l.port);
  const good = client(l.port);
  const badClosed = new Promise((r) => bad.once('close', r));
  bad.write('boom');
  await badClosed;
  const echoed = new Promise<string>((r) => good.once('data', (b) => r(b.toString())));
  good.write('fine');
  assert.equal(await echoed, 'fine');
  assert.deepEqual(faults, ['handler bug']);
});

test('close ends, then destroys a peer that never finishes after the grace period; destroy leaves only closed, detach silences all', async () => {
  let closedAt = 0;
  let conn: StreamConnection | null = null;
  const { l } = await serve((s) => (conn = new StreamConnection(s, { closeGraceMs: 100, handlers: { closed: () => (closedAt = performance.now()) } })));
  const c = client(l.port, true); // half-open: it reads our FIN and never sends its own
  let eof = false;
  c.on('end', () => (eof = true));
  c.on('data', () => {});
  await waitFor(() => conn, 'adopted');
  const t0 = performance.now();
  conn!.close();
  await waitFor(() => closedAt > 0, 'closed by the grace timer');
  assert.ok(eof, 'the peer read EOF first');
  assert.ok(closedAt - t0 >= 90 && closedAt - t0 < 2000, `destroyed after ${closedAt - t0} ms (grace 100)`);
  // destroy(): only `closed` after it; detach(): nothing
  const seen: string[] = [];
  const made: StreamConnection[] = [];
  const s2 = await serve((s) => {
    const i = made.length;
    const c = new StreamConnection(s, { handlers: { closed: () => seen.push(`closed${i}`), end: () => seen.push(`end${i}`), bytes: () => seen.push(`bytes${i}`) } });
    made.push(c);
    return c;
  });
  const c2 = client(s2.l.port);
  const c3 = client(s2.l.port);
  await waitFor(() => made.length === 2, 'adopted');
  made[0].destroy();
  made[1].detach();
  c2.end('late');
  c3.end('late');
  await Promise.all([new Promise((r) => c2.once('close', r)), new Promise((r) => c3.once('close', r))]);
  await waitFor(() => made[0].closed && made[1].closed, 'both closed');
  await waitFor(() => seen.length > 0, 'closed0');
  assert.deepEqual(seen, ['closed0']);
});

test('flushed waits for the write buffer, false at the deadline when the peer does not read', async () => {
  let conn: StreamConnection | null = null;
  const { l } = await serve((s) => (conn = new StreamConnection(s, { handlers: {} })));
  const c = client(l.port);
  c.pause();
  await waitFor(() => conn, 'adopted');
  conn!.write('small');
  assert.equal(await conn!.flushed(1000), true);
  while (conn!.write(Buffer.alloc(1 << 20)));
  assert.equal(await conn!.flushed(50), false);
  c.resume();
  assert.equal(await conn!.flushed(10_000), true);
});

test('idle: fires after a quiet period, not while bytes arrive', async () => {
  let idle = 0;
  const { l } = await serve((s) => new StreamConnection(s, { idleTimeoutMs: 120, handlers: { bytes: () => {}, idle: () => idle++ } }));
  const c = client(l.port);
  const t0 = performance.now();
  while (performance.now() - t0 < 250) {
    c.write('x');
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(idle, 0, 'no idle while bytes arrive');
  await waitFor(() => idle === 1, 'idle after quiet');
});

test('idle turned off for each request and on after it (as a server does): no idle while it is on and re-armed, a shorter timeout is kept, none while off', async () => {
  let idle = 0;
  const { l, conns } = await serve((s) => new StreamConnection(s, { idleTimeoutMs: 60_000, handlers: { bytes: () => {}, idle: () => idle++ } }));
  client(l.port);
  await waitFor(() => conns.length === 1, 'the connection');
  const conn = conns[0];
  // Off and on again every 20 ms for longer than the 120 ms timeout: the quiet time restarts each time.
  const t0 = performance.now();
  let quietFrom = t0; // the quiet time counts from the last time it was turned on
  while (performance.now() - t0 < 300) {
    conn.setIdleTimeout(0);
    conn.setIdleTimeout(120);
    quietFrom = performance.now();
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(idle, 0, 'no idle while it keeps being turned on again');
  // The 60 s timer armed at the start must not stand in for the 120 ms one: idle comes well before it.
  await waitFor(() => idle === 1, 'idle after 120 ms of quiet', 10_000);
  // (The quiet time is kept in whole milliseconds: 2 ms of slack.)
  assert.ok(performance.now() - quietFrom >= 118, `not before its timeout (${(performance.now() - quietFrom).toFixed(1)} ms)`);
  // Off: a check still pending ends without an idle (waiting is the only way to see nothing happen).
  conn.setIdleTimeout(120);
  conn.setIdleTimeout(0);
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(idle, 1, 'no idle while it is off');
});

test("a child process's stdio, adopted as one Duplex", async () => {
  const child = spawn('cat', [], { stdio: ['pipe', 'pipe', 'inherit'] });
  cleanups.push(() => child.kill('SIGKILL'));
  const got: string[] = [];
  const events: string[] = [];
  const conn = new StreamConnection(Duplex.from({ readable: child.stdout, writable: child.stdin }), {
    decoder: new Length32Decoder(FRAMING),
    handlers: { frames: (fs) => got.push(...fs.map((f) => f.toString())), end: () => events.push('end') },
  });
  conn.write(Buffer.concat([frame('through'), frame('cat')]));
  await waitFor(() => got.length === 2, 'frames back from cat');
  assert.deepEqual(got, ['through', 'cat']);
  conn.close();
  await waitFor(() => events.includes('end'), 'cat exits after its stdin ends');
});

test('a FIFO, read through a Duplex', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'io-fifo-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const fifo = path.join(dir, 'in.fifo');
  execFileSync('mkfifo', [fifo]);
  const got: string[] = [];
  let ended = false;
  const readable = fs.createReadStream(fifo);
  const conn = new StreamConnection(Duplex.from({ readable }), {
    decoder: new Length32Decoder(FRAMING),
    handlers: { frames: (fs) => got.push(...fs.map((f) => f.toString())), end: () => (ended = true) },
  });
  const w = fs.createWriteStream(fifo);
  w.end(Buffer.concat([frame('via'), frame('fifo')]));
  await waitFor(() => ended, 'the writer closed the FIFO');
  assert.deepEqual(got, ['via', 'fifo']);
  conn.destroy();
});

test('a handlers object with methods gets itself as `this`; a second connection on the same stream reads with its own listener', async () => {
  // The first adopter reads through the shared `data` listener (the stream points at it), a
  // second one through a listener of its own: each gets every chunk, as with one closure each.
  class Owner implements StreamHandlers<Buffer> {
    readonly got: string[] = [];
    frames(fs: Buffer[]): void {
      for (const f of fs) this.got.push(f.toString());
    }
  }
  const a = new Owner();
  const b = new Owner();
  await serve((s) => {
    new StreamConnection(s, { decoder: new Length32Decoder(FRAMING), handlers: a });
    return new StreamConnection(s, { decoder: new Length32Decoder(FRAMING), handlers: b });
  }).then(({ l }) => {
    const c = client(l.port);
    c.write(Buffer.concat([frame('one'), frame('two')]));
  });
  await waitFor(() => a.got.length === 2 && b.got.length === 2, 'both connections read both frames');
  assert.deepEqual(a.got, ['one', 'two']);
  assert.deepEqual(b.got, ['one', 'two']);
});
