// The vocabulary of a lottery connection's session (session.ts): its configuration, the events
// the socket adapter (connection.ts) feeds it, the effects it asks for, and its state. Kept apart
// so the adapter, the tests and the state machine share one definition.

import type { BetRow } from '../../protocols/lottery/index.ts';
import type { FixedHeaderDecoder } from '../../protocols/framing/fixed-header.ts';
import type { Length16Decoder } from '../../protocols/framing/length16.ts';
import type { StoreProgress, StoreReply } from './betstore.ts';
import type { WinnersAnswer } from './coordinator.ts';

export type ServerMode = 'lottery' | 'echo' | 'bet';

/**
 * Default cap on one request frame (protocol A body; protocol B packet, whose own limit is 8190):
 * the 8 kB packet rule plus a margin. A larger frame is refused before it is buffered.
 */
export const DEFAULT_MAX_FRAME_BYTES = 10_240;

export interface SessionConfig {
  mode: ServerMode;
  agencies: number;
  maxFrameBytes: number;
  winnersHoldMs: number;
}

export type SessionEvent =
  | { type: 'data'; chunk: Buffer }
  | { type: 'eof' }
  | { type: 'sockerr'; error: string }
  | { type: 'idle' }
  /** Shutdown: finish a store exchange in flight, close anything else now. */
  | { type: 'drain' }
  | { type: 'stored'; reply: StoreReply }
  | { type: 'agency-closed' }
  | { type: 'agency-close-failed'; error: string }
  | { type: 'winners'; answer: WinnersAnswer }
  | { type: 'winners-failed'; error: string }
  | { type: 'progress'; progress: StoreProgress }
  | { type: 'progress-failed'; error: string }
  | { type: 'retry' };

export type Fields = Record<string, string | number>;

export type Effect =
  /** A TP0 contract line (actors/lottery/tp0log.ts). */
  | { k: 'tp0'; level: 'info' | 'debug'; action: string; result: 'success' | 'fail'; fields: Fields }
  /** An operational log line. */
  | { k: 'log'; level: 'debug' | 'warn'; msg: string; fields: Record<string, unknown> }
  | { k: 'write'; bufs: Buffer[] }
  /** The exchange is over: end the connection (after the writes before it). */
  | { k: 'finish' }
  /** No idle timeout while the server works on a request or the request is parked. */
  | { k: 'no-idle' }
  /** The idle timeout again: a kept-open connection waits for its next request. */
  | { k: 'idle-on' }
  | { k: 'store'; agency: number; rows: BetRow[]; csv: string; batchId: number | undefined }
  | { k: 'close-agency'; agency: number }
  /** Protocol A LST (resume query): the agency's last committed batch and its stored rows. */
  | { k: 'progress'; agency: number }
  | { k: 'winners'; agency: number; holdMs: number | undefined; timeoutMs: number }
  | { k: 'retry'; ms: number };

export type Pending =
  /** A batch: its storage rows and the same rows as bets.csv lines. */
  | { kind: 'store'; protocol: 'A' | 'B'; agency: number; rows: BetRow[]; csv: string; batchId: number; single: boolean }
  | { kind: 'close'; protocol: 'A' | 'B'; agency: number }
  | { kind: 'progress'; protocol: 'A'; agency: number }
  | { kind: 'draw'; protocol: 'A' | 'B'; agency: number; hold: boolean };

export interface Session {
  readonly cfg: SessionConfig;
  state: 'detecting' | 'echo' | 'reading' | 'awaiting' | 'closed';
  protocol: 'A' | 'B' | 'echo' | null;
  decoderA: FixedHeaderDecoder | null;
  decoderB: Length16Decoder | null;
  /** The first bytes of a protocol A request (its header, for the `cantidad` of a fail line). */
  headA: Buffer;
  echoBuf: Buffer[];
  echoLen: number;
  pending: Pending | null;
  /** The reply is written (or the connection is being cut): nothing more happens. */
  finished: boolean;
  retries: number;
  draining: boolean;
  /** Began with LST (our agency): the connection stays open after each reply for the next request. */
  keepAlive: boolean;
}
