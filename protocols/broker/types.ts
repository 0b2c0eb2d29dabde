// Typed frames of the broker wire protocol (see PROTOCOL.md) and the error codes of broker.md §8.

/** Protocol version carried by `hello`. */
export const BROKER_PROTOCOL_VERSION = 1;

/** Largest id / seq / status magnitude: ids are 1 .. 2^53-1 (broker.md §6.2). */
export const MAX_ID = Number.MAX_SAFE_INTEGER;
/** Request ids are unsigned 32-bit; 0 is reserved for errors not tied to a request. */
export const MAX_RID = 0xffff_ffff;

export const BROKER_ERRORS = {
  UNKNOWN_ID: -1,
  INVALID_TOPIC: -2,
  MESSAGE_TOO_LARGE: -3,
  INVALID_ARGUMENT: -4,
  LIMIT_REACHED: -5,
  UNAVAILABLE: -6,
  STORAGE_ERROR: -7,
  SHUTTING_DOWN: -8,
  PROTOCOL_ERROR: -9,
  INTERNAL: -10,
} as const;

export type BrokerErrorName = keyof typeof BROKER_ERRORS;
export type BrokerErrorCode = (typeof BROKER_ERRORS)[BrokerErrorName];

const NAMES = new Map<number, BrokerErrorName>(Object.entries(BROKER_ERRORS).map(([k, v]) => [v, k as BrokerErrorName]));

/** `UNKNOWN_ID` for -1 ...; `ERROR_<code>` for a code this version does not know. */
export function brokerErrorName(code: number): string {
  return NAMES.get(code) ?? `ERROR_${code}`;
}

/** An error as the API and the wire report it: a negative code and a non-empty description. */
export interface BrokerErrorInfo {
  code: number;
  description: string;
}

// ---- requests (client -> broker). `id` is the local id (CLI -> LB) or the global id (LB -> server).

export interface CreateRequest {
  type: 'create';
  rid: number;
}
export interface PublishRequest {
  type: 'publish';
  rid: number;
  id: number;
  topic: string;
  msg: string;
}
export interface SubscribeRequest {
  type: 'subscribe';
  rid: number;
  id: number;
  topic: string;
}
export interface UnsubscribeRequest {
  type: 'unsubscribe';
  rid: number;
  id: number;
  topic: string;
}
/** receive-next: `wait` blocks until a message arrives; `timeoutMs` bounds the wait (D3). */
export interface RecvRequest {
  type: 'recv';
  rid: number;
  id: number;
  wait: boolean;
  timeoutMs?: number;
}
export interface DestroyRequest {
  type: 'destroy';
  rid: number;
  id: number;
}

export type BrokerRequest = CreateRequest | PublishRequest | SubscribeRequest | UnsubscribeRequest | RecvRequest | DestroyRequest;
export type BrokerOp = BrokerRequest['type'];
export const BROKER_OPS: readonly BrokerOp[] = ['create', 'publish', 'subscribe', 'unsubscribe', 'recv', 'destroy'];

// ---- link control (LB -> server)

/** First frame of a link: the LB's persisted id and the protocol version. */
export interface HelloFrame {
  type: 'hello';
  version: number;
  lbId: string;
}
/** Cumulative acknowledgement (`consumed`): everything of `id` up to `seq` was returned by recv. No reply. */
export interface AckFrame {
  type: 'ack';
  id: number;
  seq: number;
}

// ---- broker -> client

/** Success: status >= 0 (for create the status is the new id). Optional payload per op. */
export interface ReplyFrame {
  type: 'reply';
  rid: number;
  status: number;
  description: string;
  id?: number;
  /** recv with a message: topic, msg and seq are all present. */
  delivery?: Delivery;
}
/** Failure of request `rid` (0 = not tied to a request, e.g. a malformed frame): negative code + description. */
export interface ErrorFrame {
  type: 'error';
  rid: number;
  code: number;
  description: string;
}
export interface Delivery {
  topic: string;
  msg: string;
  seq: number;
}
/** Server push of a queued message for subscriber `id` (`seq` increases per id). */
export interface DeliverFrame {
  type: 'deliver';
  id: number;
  seq: number;
  topic: string;
  msg: string;
}

/**
 * Server push of one queued message to several subscribers at the same LB: `to` holds each
 * subscriber's (id, seq). Same meaning as one `deliver` per entry; the message crosses the link
 * once and the LB fans it out to its inboxes.
 */
export interface FanoutFrame {
  type: 'fanout';
  topic: string;
  msg: string;
  to: { id: number; seq: number }[];
}
/** Most subscribers one fanout frame names (u16 count). */
export const MAX_FANOUT = 0xffff;

// ---- batch frames: what one event-loop turn of a busy link carries as one frame

/**
 * n publishes of one id to one topic as one link request (one rid): each is still its own
 * operation with its own atomic fan-out and status, applied in order. Answered by one
 * `reply-batch` (or one `error` frame when the whole batch failed, e.g. -7).
 */
export interface PublishBatchFrame {
  type: 'publish-batch';
  rid: number;
  id: number;
  topic: string;
  msgs: string[];
}

/** `count` consecutive publishes of a batch with the same outcome (`description` '' for a success). */
export interface StatusRun {
  count: number;
  status: number;
  description: string;
}

/** The outcomes of a `publish-batch`, in order, as runs of equal status (one run when all succeeded alike). */
export interface ReplyBatchFrame {
  type: 'reply-batch';
  rid: number;
  runs: StatusRun[];
}

/** One queued message of a `deliver-batch`: `to` is flat (id, seq) pairs of this LB's subscribers. */
export interface BatchedMessage {
  /** Index into the frame's `topics`. */
  topic: number;
  msg: string;
  to: number[];
}

/**
 * The pushes of one server turn to one LB: many messages, each with the (id, seq) of every
 * subscriber of this LB it goes to, in the order they were queued (so each subscriber's FIFO holds).
 * Same meaning as one `deliver` per (message, id).
 */
export interface DeliverBatchFrame {
  type: 'deliver-batch';
  topics: string[];
  msgs: BatchedMessage[];
}

/** One message of a `deliver-runs` frame: its text once, for every subscriber run that names it. */
export interface RunMessage {
  /** Index into the frame's `topics`. */
  topic: number;
  msg: string;
}

/**
 * The pushes of one server turn to one LB as subscriber runs: the messages once, then per run
 * (flat in `runs`: id, seq, first, count) the subscriber `id` gets messages first .. first+count-1
 * of the frame with seqs seq .. seq+count-1. An id's runs come in its seq order. Same meaning as
 * one `deliver` per (message, id) named.
 */
export interface DeliverRunsFrame {
  type: 'deliver-runs';
  topics: string[];
  msgs: RunMessage[];
  runs: number[];
}

export type BrokerReply = ReplyFrame | ErrorFrame;
export type BrokerFrame =
  | BrokerRequest
  | HelloFrame
  | AckFrame
  | ReplyFrame
  | ErrorFrame
  | DeliverFrame
  | FanoutFrame
  | PublishBatchFrame
  | ReplyBatchFrame
  | DeliverBatchFrame
  | DeliverRunsFrame;
export type BrokerFrameType = BrokerFrame['type'];

/** Wire opcodes (first payload byte). */
export const OPCODES = {
  hello: 0x01,
  create: 0x02,
  publish: 0x03,
  subscribe: 0x04,
  unsubscribe: 0x05,
  recv: 0x06,
  destroy: 0x07,
  ack: 0x08,
  'publish-batch': 0x09,
  reply: 0x81,
  error: 0x82,
  deliver: 0x83,
  fanout: 0x84,
  'reply-batch': 0x85,
  'deliver-batch': 0x86,
  'deliver-runs': 0x87,
} as const satisfies Record<BrokerFrameType, number>;
