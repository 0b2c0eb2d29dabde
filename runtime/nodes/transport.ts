// The transport behind node links, kept small so that another one (NATS, for clusters) plugs in
// without touching refs, routing or supervision: a channel sends frames and reports what arrives
// and when it closes; a transport listens for and dials channels.

export interface FrameChannel {
  /** The peer's address, for logs (`127.0.0.1:51234`). */
  readonly remote: string;
  /** Binary frames carry mail; text frames carry the handshake. */
  send(frame: Uint8Array | string): void;
  /** Bytes accepted by send() and not yet written to the network (backpressure). */
  bufferedBytes(): number;
  /** `deliberate`: this node is stopping on purpose (the peer is told so, and logs it at info). */
  close(reason: string, deliberate?: boolean): void;
  /**
   * Null: frames are held until a handler is set (and then handed to it in order), so nothing
   * the peer sends right after the handshake is lost before the link takes the channel.
   */
  onFrame: ((data: Uint8Array | string) => void) | null;
  /** Called once, whichever side closed, with why; `deliberate`: either side stopped on purpose. */
  onClose: (why: string, deliberate: boolean) => void;
}

export interface TlsOptions {
  /** PEM texts (not paths): the node's certificate and key, and the CAs it trusts. */
  cert?: string;
  key?: string;
  ca?: string;
  /** Listener: require and verify a client certificate (mutual TLS). */
  requireClientCert?: boolean;
}

export interface TransportOptions {
  /** Frames larger than this close the channel. */
  maxFrameBytes: number;
  tls?: TlsOptions;
  connectTimeoutMs?: number;
}

export interface Listener {
  /** The URL peers dial, with the real port when 0 was asked for. */
  readonly url: string;
  close(): Promise<void>;
}

export interface Transport {
  listen(url: string, onChannel: (ch: FrameChannel) => void, onRefused: (remote: string, why: string) => void): Promise<Listener>;
  /** Resolves once connected (TLS verified); rejects with a one-line reason. */
  dial(url: string): Promise<FrameChannel>;
}
