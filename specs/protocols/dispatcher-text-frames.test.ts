// The dispatcher's connections read requests as text (requestTextDecoder) and frame small UTF-8
// replies in a shared slab (frame-slab.ts). Both must be byte-for-byte what the plain codecs give:
//  - text frames: for any byte stream in any framing mode (valid frames of any bytes, invalid UTF-8
//    and characters cut by a chunk boundary included, then possibly garbage), split anywhere, the
//    texts are the byte decoder's frames as UTF-8, with the same error (code and offset), the same
//    `buffered` after every push and the same end-of-stream verdict;
//  - slab frames: equal to the length prefix (or LF) around Buffer.from(text), for any text (lone
//    surrogates included), and a frame handed out earlier is never overwritten by later ones.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DISPATCH_FRAMINGS, encodeFrameBytes, frameInSlab, framesInSlab, requestDecoder, requestTextDecoder, SLAB_MAX_UNITS } from '../../protocols/dispatcher/index.ts';
import { concat, cutPositions, cutsArb, run, split } from './helpers.ts';

const MAX = 512;
/** Payload bytes: mostly UTF-8 text (multi-byte characters to cut), sometimes any bytes. */
const payload = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).map((s) => Buffer.from(s, 'utf8')),
  fc.uint8Array({ minLength: 1, maxLength: 40 }).map((b) => Buffer.from(b)),
);
/** What may follow the frames: nothing, or bytes that are likely to break the framing. */
const tail = fc.oneof(fc.constant(Buffer.alloc(0)), fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b)), fc.constant(Buffer.from([0, 0, 0, 0])), fc.constant(Buffer.from([0xff, 0xff, 0xff, 0xff])));
/** UTF-16 units of any value, so lone surrogates occur too. */
const anyText = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 120 });

function reference(mode: 'length32' | 'ndjson', text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  if (mode === 'ndjson') return Buffer.concat([bytes, Buffer.from('\n')]);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(bytes.length, 0);
  return Buffer.concat([head, bytes]);
}

describe('text frames: the byte frames as UTF-8, for any stream split anywhere', () => {
  for (const mode of DISPATCH_FRAMINGS) {
    it(`${mode}: same texts, errors and buffered counts as the byte decoder`, () => {
      fc.assert(
        fc.property(fc.array(payload, { maxLength: 8 }), tail, cutsArb, (frames, rest, cuts) => {
          const stream = concat([...frames.map((f) => (mode === 'length32' ? encodeFrameBytes(mode, f) : f)), rest]);
          const chunks = split(stream, cutPositions(cuts, stream.length));
          const bytes = requestDecoder(mode, MAX);
          const texts = requestTextDecoder(mode, MAX);
          const seen: number[][] = [];
          for (const c of chunks) {
            bytes.push(c);
            texts.push(c);
            seen.push([bytes.buffered, texts.buffered]);
          }
          for (const [b, t] of seen) assert.equal(t, b);
          const want = run(requestDecoder(mode, MAX), chunks);
          const got = run(requestTextDecoder(mode, MAX), chunks);
          assert.deepEqual(got.frames, want.frames.map((f) => f.toString('utf8')));
          assert.deepEqual(got.error, want.error);
          assert.deepEqual(got.end, want.end);
        }),
        { numRuns: 400 },
      );
    });
  }

  it('length32: an empty or oversized frame is the same one-line error as for bytes', () => {
    for (const bad of [Buffer.from([0, 0, 0, 0]), Buffer.from([0, 0, 0x20, 0x01])]) {
      const dec = requestTextDecoder('length32', MAX);
      assert.deepEqual(dec.push(Buffer.concat([encodeFrameBytes('length32', Buffer.from('{"a":1}')), bad])), ['{"a":1}']);
      const ref = requestDecoder('length32', MAX);
      ref.push(Buffer.concat([encodeFrameBytes('length32', Buffer.from('{"a":1}')), bad]));
      assert.equal(dec.error?.message, ref.error?.message);
      assert.ok(!dec.error?.message.includes('\n'));
      assert.deepEqual(dec.push(Buffer.from('{"more":1}')), []);
    }
  });
});

describe('slab frames', () => {
  for (const mode of ['length32', 'ndjson'] as const) {
    it(`${mode}: one text or a run of texts frame to the reference bytes, and earlier frames stay intact`, () => {
      fc.assert(
        fc.property(fc.array(fc.array(anyText, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 300 }), (runs) => {
          const kept: [Buffer, Buffer][] = [];
          for (const texts of runs) {
            const want = Buffer.concat(texts.map((t) => reference(mode, t)));
            const units = texts.reduce((n, t) => n + t.length, 0);
            const got = texts.length === 1 && texts[0].length <= SLAB_MAX_UNITS ? frameInSlab(mode, texts[0]) : framesInSlab(mode, texts, texts.length);
            if (units > SLAB_MAX_UNITS && texts.length > 1) {
              assert.equal(got, null);
              continue;
            }
            assert.ok(got !== null);
            assert.deepEqual(got, want);
            kept.push([got, want]);
          }
          for (const [got, want] of kept) assert.deepEqual(got, want);
        }),
        { numRuns: 60 },
      );
    });
  }

  it('a run frames only its first n texts', () => {
    const got = framesInSlab('length32', ['{"a":1}', 'é', 'not this'], 2);
    assert.deepEqual(got, Buffer.concat([reference('length32', '{"a":1}'), reference('length32', 'é')]));
  });
});
