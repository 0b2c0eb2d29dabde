// Shared helpers for the protocol property tests.

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ProtocolError } from '../../protocols/errors.ts';
import type { FrameDecoder } from '../../protocols/framing/types.ts';

/** Cut `bytes` at the given (unsorted, possibly duplicate) positions. */
export function split(bytes: Uint8Array, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => Math.min(Math.max(0, c), bytes.length)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(Buffer.from(bytes.subarray(prev, p)));
    prev = p;
  }
  out.push(Buffer.from(bytes.subarray(prev)));
  return out;
}

/** Positions in [0, 1) scaled to the stream length by the test. */
export const cutsArb = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 });

export function cutPositions(fractions: number[], length: number): number[] {
  return fractions.map((f) => Math.floor(f * (length + 1)));
}

export interface Outcome<F> {
  frames: F[];
  error: { code: string; offset: number | undefined } | null;
  end: { code: string; offset: number | undefined } | null;
}

/** Feed chunks through a decoder; fail the test if anything other than a ProtocolError escapes. */
export function run<F>(decoder: FrameDecoder<F>, chunks: Uint8Array[]): Outcome<F> {
  const frames: F[] = [];
  for (const c of chunks) {
    for (const f of decoder.push(c)) frames.push(f);
    if (decoder.error !== null && !(decoder.error instanceof ProtocolError)) throw new Error('non-ProtocolError');
  }
  const err = decoder.error;
  const end = decoder.end();
  return {
    frames,
    error: err === null ? null : { code: err.code, offset: err.offset },
    end: end === null ? null : { code: end.code, offset: end.offset },
  };
}

export function concat(parts: Uint8Array[]): Buffer {
  return Buffer.concat(parts.map((p) => Buffer.from(p)));
}

/** Run `fn`; it may throw only ProtocolError. Returns the error or null. */
export function onlyProtocolError(fn: () => unknown): ProtocolError | null {
  try {
    fn();
    return null;
  } catch (e) {
    if (e instanceof ProtocolError) return e;
    throw e;
  }
}

/** Mutate bytes: flip, insert, delete a few positions. */
export const mutationArb = fc.array(
  fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), kind: fc.constantFrom('flip', 'insert', 'delete'), byte: fc.integer({ min: 0, max: 255 }) }),
  { minLength: 1, maxLength: 4 },
);

export function mutate(bytes: Uint8Array, mutations: { at: number; kind: string; byte: number }[]): Buffer {
  const arr = [...bytes];
  for (const m of mutations) {
    const i = Math.floor(m.at * arr.length);
    if (m.kind === 'flip' && arr.length > 0) arr[Math.min(i, arr.length - 1)] ^= m.byte || 1;
    else if (m.kind === 'insert') arr.splice(i, 0, m.byte);
    else if (m.kind === 'delete' && arr.length > 0) arr.splice(Math.min(i, arr.length - 1), 1);
  }
  return Buffer.from(arr);
}

export const RUNS = Number(process.env.PROTOCOL_RUNS ?? 200);

/** Each case's bytes decode to a ProtocolError with the given code at the given offset. */
export function assertDecodeErrors(decode: (b: Buffer) => unknown, cases: [name: string, bytes: number[], code: string, offset: number][]): void {
  for (const [name, bytes, code, offset] of cases) {
    const err = onlyProtocolError(() => decode(Buffer.from(bytes)));
    assert.ok(err instanceof ProtocolError, name);
    assert.equal(err.code, code, name);
    assert.equal(err.offset, offset, name);
  }
}
