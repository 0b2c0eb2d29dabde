// runtime/io: the layer every subsystem's connections stand on. A transport (listener, stream
// connection, datagram endpoint) knows bytes and lifecycles; a protocol (the subsystem's actor)
// knows frames and meaning, as in Erlang ranch's transport/protocol split.
//
// Listening (listener.ts)
//   const l = new Listener({ target, admit, onConnection, onError }); await l.ready;
//   target: { kind: 'tcp' | 'tls', host, port, backlog?, reusePort?, exclusive? } (+ `tls` options)
//           | { kind: 'unix', path, backlog?, unlinkStale? }
//   `ready` resolves with the bound address or rejects with a BindError (`code`: EADDRINUSE...,
//   message `cannot listen on host:port: ...`). `admit(peer)` runs before anything else touches a
//   socket: 'accept', 'refuse' (destroyed, no byte sent) or 'end' (clean EOF, zero bytes).
//   Admitted sockets reach `onConnection(socket, peer)` paused, with an error listener attached.
//   `stop()` stops accepting (while still binding, `ready` rejects with code ESTOPPED); `drain(deadlineMs)` stops accepting and resolves with the number of
//   accepted sockets still open when they all closed or the deadline passed. `reusePort` lets
//   acceptors on several threads share a port. `listen(opts)` = construct + await ready.
//
// Stream connections (stream.ts)
//   const c = new StreamConnection(duplex, { decoder, handlers, head?, holdAtStart?, idleTimeoutMs? });
//   Adopts any Duplex (socket, TLS socket, `Duplex.from({ readable, writable })` over a FIFO or a
//   child's stdio). Handlers: frames(frames) | bytes(chunk), framingError, end (peer FIN),
//   writable (a refused write drained), error, idle, closed, fault (a handler threw; default:
//   destroy this connection only). Reading runs while no named hold is set: `hold(reason)`,
//   `release(reason)`; a refused `write` holds reading until the stream drains. `discardInput()`
//   drops further bytes but still sees the FIN. `close(graceMs)` ends, then destroys after the
//   grace period; `destroy()` ends at once (only `closed` runs afterwards); `detach()` ends at once
//   and silences every handler (an owner's stop hook); `flushed(deadlineMs)` waits for the write
//   buffer to empty.
//
// Handing a handle to an actor on the same thread (handoff.ts)
//   const token = giveHandle(socket); child.tell({ t: 'socket', token }) ... takeHandle<Socket>(token)
//   Tokens are cloneable strings; a handle nobody takes within HANDLE_TTL_MS is destroyed; taking a
//   token issued on another thread throws.
//
// Signals (signals.ts)
//   const off = deliverSignals(ctx.self, ['SIGHUP'], (sig) => ({ t: 'signal', sig })); off() in `stopped`.
//   One process listener per signal whatever the number of subscribers; main thread only (on a
//   worker it is a no-op: workers receive no signals). `onSignal(sigs, fn)` for kernel code.
//
// Datagrams (datagram.ts)
//   const ep = await openDatagram({ kind: 'udp', host, port }, { message(data, from) {...} });
//   ep.send(bytes, { kind: 'udp', host, port }); ep.close(). Other kinds plug in with
//   registerDatagramKind(kind, opener) behind the same DatagramEndpoint interface.
//
// Reconnecting (reconnect.ts)
//   const policy = reconnectPolicy('1,1,1,3,5' | { initialMs, factor, maxMs }); policy.pause(i)
//   gives the pause at step i and the next step (null: give up). The pause list of
//   eventdispatcher.md §4.1 or exponential backoff; pure, so one policy serves many links.
//   `new ReconnectCursor(policy)` (or PauseDurations / ExponentialBackoff) walks it with state.
//
// Named pipes (fifo.ts)
//   ensureFifo(path, create); openFifoReader(path) -> a read-only Socket held read-write (writers
//   may come and go); openFifoWriter(path, cb) fails at once with "has no reader" (ENXIO).

export { Listener, listen, BindError, endQuietly, peerOf, describeTarget, type ListenTarget, type ListenerOptions, type Peer, type Admission } from './listener.ts';
export { StreamConnection, type StreamHandlers, type StreamOptions } from './stream.ts';
export { giveHandle, takeHandle, parkedHandles, disposeHandle, HANDLE_TTL_MS, type HandleToken } from './handoff.ts';
export { onSignal, deliverSignals, subscribedSignals, signalsHere } from './signals.ts';
export {
  openDatagram,
  registerDatagramKind,
  type DatagramAddress,
  type DatagramEndpoint,
  type DatagramHandlers,
  type DatagramOpener,
  type DatagramTarget,
} from './datagram.ts';
export { reconnectPolicy, pauseListPolicy, exponentialPolicy, ReconnectCursor, PauseDurations, ExponentialBackoff, type ReconnectPolicy, type ReconnectSpec, type ReconnectWalk } from './reconnect.ts';
export { ensureFifo, openFifoReader, openFifoWriter } from './fifo.ts';
