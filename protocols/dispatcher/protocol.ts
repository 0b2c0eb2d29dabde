// The protocol contract of dispatcher.md §4.1 as one object per protocol: decode a frame into a
// request for a worker or an immediate reply, and turn handler outcomes into reply text.
// Runs on the dispatcher's I/O thread; pure.

import { frameText, jsonError, MALFORMED_JSON_REPLY, serialiseJson, type JsonErrorCode } from './json.ts';
import { decodeLegacyText, errorTx, replyFromService, serialiseLegacy, txDone, type LegacyTx } from './legacy-tx.ts';

export type DispatchProtocolName = 'legacy-tx' | 'json';
export type ReplyErrorCode = Exclude<JsonErrorCode, 'MALFORMED'>;

export type Decoded =
  /** A valid request: goes to the queue. `parsed`: the value `request` (JSON text) was validated as, when there is one (an inline handler takes it as is). */
  | { kind: 'request'; request: unknown; parsed?: unknown }
  /** Answered at once, in its seq position: `echo` (legacy-tx invalid request) or `malformed`. */
  | { kind: 'reply'; reply: string; why: 'echo' | 'malformed'; text: string };

export interface DispatchProtocol {
  readonly name: DispatchProtocolName;
  /** Replies are pure ASCII (legacy-tx): framing may encode them as latin1. */
  readonly ascii: boolean;
  /**
   * Requests travel as their JSON text (validated by `decode`), not as parsed values: handlers
   * parse them where they run, and may answer with reply text already serialised by `success`.
   */
  readonly textRequests: boolean;
  decode(frame: Uint8Array): Decoded;
  /** The same for a frame already decoded as UTF-8 text (frameText), as the dispatcher's connections read them. */
  decodeText(text: string): Decoded;
  /** The reply for a handler's value; null when the value cannot be a reply (→ WORKER_FAILED). */
  success(request: unknown, value: unknown): string | null;
  /** The reply for a request that failed with `code`. */
  failure(request: unknown, code: ReplyErrorCode, message: string): string;
}

export const legacyTxProtocol: DispatchProtocol = {
  name: 'legacy-tx',
  ascii: true,
  textRequests: false,
  decode(frame) {
    return this.decodeText(frameText(frame));
  },
  decodeText(raw) {
    const d = decodeLegacyText(raw);
    if (d.kind === 'valid') return { kind: 'request', request: d.tx };
    if (d.kind === 'invalid') return { kind: 'reply', reply: d.reply, why: 'echo', text: d.tx.MSG };
    return { kind: 'reply', reply: d.reply, why: 'malformed', text: d.text };
  },
  success(request, value) {
    const r = replyFromService(request as LegacyTx, value);
    return r === null ? null : serialiseLegacy(r);
  },
  failure(request, code) {
    return serialiseLegacy(errorTx(request as LegacyTx, code));
  },
};

export const jsonProtocol: DispatchProtocol = {
  name: 'json',
  ascii: false,
  textRequests: true,
  decode(frame) {
    return this.decodeText(frameText(frame));
  },
  decodeText(text) {
    // decodeJson's rules, building the Decoded at once (one object per request, not two).
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return { kind: 'reply', reply: MALFORMED_JSON_REPLY, why: 'malformed', text };
    }
    return { kind: 'request', request: text, parsed };
  },
  success(_request, value) {
    return serialiseJson(value);
  },
  failure(_request, code, message) {
    return jsonError(code, message);
  },
};

export function protocolByName(name: DispatchProtocolName): DispatchProtocol {
  return name === 'legacy-tx' ? legacyTxProtocol : jsonProtocol;
}

/** The built-in `legacy-tx` service's result for a valid request (the full reply object). */
export function builtinLegacyService(request: unknown): LegacyTx {
  return txDone(request as LegacyTx);
}
