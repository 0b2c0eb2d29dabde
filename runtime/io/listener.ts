// A listening socket (TCP, TLS or Unix stream) with the parts every acceptor needs: bind with a
// clear ready/bind-failed outcome, an admission hook run before anything else touches a new
// socket (allow-lists, connection limits), stop accepting, and a count of open accepted sockets
// so that a drain can wait for them. The listener knows nothing of protocols (ranch's transport):
// what runs on an accepted socket is the caller's `onConnection` (the protocol).

import net from 'node:net';
// node:tls loads only for a TLS listener (about 10 ms of every thread's start otherwise).
import type tls from 'node:tls';
import fs from 'node:fs';

/** Where to listen. `reusePort` lets several threads listen on one port (Linux spreads accepts). */
export type ListenTarget =
  | { kind: 'tcp'; host: string; port: number; backlog?: number; reusePort?: boolean; exclusive?: boolean }
  | { kind: 'tls'; host: string; port: number; backlog?: number; reusePort?: boolean; exclusive?: boolean; tls: tls.TlsOptions }
  | { kind: 'unix'; path: string; backlog?: number; /** Remove a stale socket file left by a dead process first. */ unlinkStale?: boolean };

/** The remote end of an accepted socket, as the admission hook sees it. */
export interface Peer {
  /** Remote address with IPv4-mapped IPv6 (`::ffff:1.2.3.4`) shown as plain IPv4; '' for Unix sockets. */
  address: string;
  port: number;
}

/**
 * What to do with a new socket: `accept` hands it to `onConnection`; `refuse` destroys it at once
 * (no byte is sent); `end` closes it cleanly so the client reads EOF with zero bytes (a full table).
 */
export type Admission = 'accept' | 'refuse' | 'end';

export interface ListenerOptions {
  target: ListenTarget;
  /** Runs first for every accepted socket; default: accept. */
  admit?(peer: Peer): Admission;
  /** Gets each admitted socket, paused (call `resume` or adopt it with `StreamConnection`). */
  onConnection(socket: net.Socket, peer: Peer): void;
  /** An error after the listener was up (the bind's own failure rejects `ready` instead). */
  onError?(err: Error): void;
  /** Accepted TCP sockets get TCP_NODELAY (request/response traffic); default true. */
  noDelay?: boolean;
  /** Keep the writable side open after the peer's FIN; default true. */
  allowHalfOpen?: boolean;
}

/** The bind failed: `code` is the errno name (EADDRINUSE, EACCES...), the message names the address. */
export class BindError extends Error {
  readonly code: string;
  readonly address: string;
  /** The system's own words (e.g. `listen EADDRINUSE: address already in use 127.0.0.1:80`). */
  readonly detail: string;
  constructor(address: string, code: string, detail: string) {
    super(`cannot listen on ${address}: ${detail}`);
    this.name = 'BindError';
    this.code = code;
    this.address = address;
    this.detail = detail;
  }
}

/** How long a socket closed by `end` admission may linger before it is destroyed. */
const END_GRACE_MS = 2000;

const noop = (): void => {};

export function describeTarget(t: ListenTarget): string {
  return t.kind === 'unix' ? t.path : `${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`;
}

/** Strips the IPv4-mapped prefix so allow-lists and logs see `1.2.3.4`. */
export function peerOf(socket: net.Socket): Peer {
  const a = socket.remoteAddress ?? '';
  return { address: a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a, port: socket.remotePort ?? 0 };
}

/** Ends a socket without writing: the peer reads EOF; destroyed after a grace period regardless. */
export function endQuietly(socket: net.Socket, graceMs = END_GRACE_MS): void {
  socket.on('error', noop);
  socket.on('end', () => socket.destroy());
  socket.resume();
  socket.end();
  setTimeout(() => socket.destroy(), graceMs).unref();
}

export class Listener {
  readonly target: ListenTarget;
  /** Resolves with the bound address once listening; rejects with a BindError. */
  readonly ready: Promise<string>;
  private readonly server: net.Server;
  private readonly opts: ListenerOptions;
  private state: 'binding' | 'listening' | 'stopped' = 'binding';
  private open = 0;
  private idleWaiters: (() => void)[] = [];
  private boundPort = 0;
  private rejectReady: ((err: BindError) => void) | null = null;

  constructor(opts: ListenerOptions) {
    this.opts = opts;
    this.target = opts.target;
    const t = opts.target;
    const serverOpts = { allowHalfOpen: opts.allowHalfOpen ?? true, pauseOnConnect: true, noDelay: t.kind !== 'unix' && (opts.noDelay ?? true) };
    const onSocket = (s: net.Socket): void => this.accepted(s);
    this.server =
      t.kind === 'tls'
        ? (process.getBuiltinModule('node:tls') as typeof tls).createServer({ ...serverOpts, ...t.tls }, onSocket)
        : net.createServer(serverOpts, onSocket);
    // A TLS handshake failure concerns one client, never the listener.
    if (t.kind === 'tls') this.server.on('tlsClientError', (_err, s) => s.destroy());
    this.ready = new Promise<string>((resolve, reject) => {
      this.rejectReady = reject;
      this.server.on('error', (err: NodeJS.ErrnoException) => {
        if (this.state === 'binding') {
          this.state = 'stopped';
          reject(new BindError(describeTarget(t), err.code ?? 'ERROR', err.message));
        } else if (this.state === 'listening') this.opts.onError?.(err);
      });
      if (t.kind === 'unix' && t.unlinkStale) unlinkStaleSocket(t.path);
      const listenOpts: net.ListenOptions = t.kind === 'unix'
        ? { path: t.path, backlog: t.backlog }
        : { host: t.host, port: t.port, backlog: t.backlog, exclusive: t.exclusive ?? !t.reusePort, reusePort: t.reusePort };
      this.server.listen(listenOpts, () => {
        if (this.state !== 'binding') return;
        this.state = 'listening';
        const a = this.server.address();
        if (a && typeof a === 'object') this.boundPort = a.port;
        resolve(this.address);
      });
    });
    // `ready` is also observed by whoever awaits it; this keeps an unobserved failure quiet.
    this.ready.catch(noop);
  }

  /** `host:port` (with the real port when 0 was asked) or the socket path. */
  get address(): string {
    const t = this.target;
    return t.kind === 'unix' ? t.path : describeTarget({ ...t, port: this.boundPort || t.port });
  }

  get port(): number {
    return this.boundPort;
  }

  get listening(): boolean {
    return this.state === 'listening';
  }

  /** Accepted sockets not yet closed. */
  get openConnections(): number {
    return this.open;
  }

  /**
   * Stops accepting (later connects are refused); accepted sockets are not touched. Stopped while
   * still binding, `ready` rejects with a BindError whose code is `ESTOPPED`.
   */
  stop(): void {
    if (this.state === 'stopped') return;
    if (this.state === 'binding') this.rejectReady?.(new BindError(this.address, 'ESTOPPED', 'stopped before it was listening'));
    this.state = 'stopped';
    this.server.close(noop);
  }

  /**
   * Stops accepting and waits until every accepted socket has closed or `deadlineMs` passed.
   * Resolves with the number still open (0: drained).
   */
  drain(deadlineMs: number): Promise<number> {
    this.stop();
    if (this.open === 0) return Promise.resolve(0);
    return new Promise<number>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        resolve(this.open);
      };
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== done);
        resolve(this.open);
      }, deadlineMs);
      timer.unref();
      this.idleWaiters.push(done);
    });
  }

  private accepted(socket: net.Socket): void {
    // An error listener from the first moment: an unhandled socket error kills the thread.
    socket.on('error', noop);
    if (this.state !== 'listening') {
      socket.destroy();
      return;
    }
    const peer = peerOf(socket);
    const verdict = this.opts.admit ? this.opts.admit(peer) : 'accept';
    if (verdict === 'refuse') {
      socket.destroy();
      return;
    }
    if (verdict === 'end') {
      endQuietly(socket);
      return;
    }
    this.open++;
    socket.once('close', () => {
      if (--this.open === 0 && this.idleWaiters.length > 0) for (const w of this.idleWaiters.splice(0)) w();
    });
    this.opts.onConnection(socket, peer);
  }
}

/** Binds a listener and waits: resolves when listening, rejects with a BindError. */
export async function listen(opts: ListenerOptions): Promise<Listener> {
  const l = new Listener(opts);
  await l.ready;
  return l;
}

/**
 * Removes a leftover Unix socket file before binding. Only on request: the caller vouches that
 * the path is its own (under its lock, or in its private runtime folder). Other files are kept.
 */
function unlinkStaleSocket(path: string): void {
  try {
    if (fs.statSync(path).isSocket()) fs.unlinkSync(path);
  } catch {
    /* absent, or raced with its owner's cleanup: the bind reports what remains */
  }
}
