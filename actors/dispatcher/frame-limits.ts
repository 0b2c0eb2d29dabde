// The limits a connection's frames must meet, both ways. In: a frame must complete within
// FrameTimeoutMs of its first byte (like nginx's client_body_timeout), so a peer that trickles
// bytes cannot hold a connection slot: the connection's StreamConnection watches that
// (`frameTimeoutMs`, runtime/io/frame-watch.ts) and connection-timers.ts closes the connection.
// Out: a reply over MaxFrameBytes is never sent (replyOverCap).

/** 0 when `text` fits in `max` UTF-8 bytes, else its size in bytes. */
export function replyOverCap(text: string, max: number): number {
  if (text.length * 3 <= max) return 0; // cannot be over (3 bytes per UTF-16 unit at most)
  const bytes = Buffer.byteLength(text);
  return bytes <= max ? 0 : bytes;
}
