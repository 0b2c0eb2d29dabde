// encodeFrames (actors/dispatcher/reply-frames.ts): framing a run of replies into one buffer gives
// exactly the concatenation of encodeFrame of each, in every mode, for any texts (any Unicode,
// including astral characters and lone surrogates, which UTF-8 encodes as U+FFFD either way).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeFrames } from '../../actors/dispatcher/reply-frames.ts';
import { encodeFrame } from '../../protocols/dispatcher/index.ts';

const modes = ['length32', 'ndjson', 'legacy'] as const;

test('encodeFrames = concat(encodeFrame) for any texts and mode', () => {
  fc.assert(
    fc.property(fc.constantFrom(...modes), fc.array(fc.string({ unit: 'binary', maxLength: 80 }), { minLength: 1, maxLength: 150 }), (mode, texts) => {
      const want = Buffer.concat(texts.map((t) => encodeFrame(mode, t, false)));
      assert.deepEqual(encodeFrames(mode, texts, false), want);
    }),
    { numRuns: 500 },
  );
});

test('the ASCII path gives the same bytes for ASCII texts', () => {
  fc.assert(
    fc.property(fc.constantFrom(...modes), fc.array(fc.string({ unit: fc.integer({ min: 0, max: 127 }).map((c) => String.fromCharCode(c)), maxLength: 60 }), { minLength: 1, maxLength: 100 }), (mode, texts) => {
      assert.deepEqual(encodeFrames(mode, texts, true), Buffer.concat(texts.map((t) => encodeFrame(mode, t, true))));
      assert.deepEqual(encodeFrames(mode, texts, true), encodeFrames(mode, texts, false));
    }),
  );
});

test('with a count, only the first n texts are framed (the rest of a reused list is ignored)', () => {
  fc.assert(
    fc.property(fc.constantFrom(...modes), fc.array(fc.string({ maxLength: 40 }), { minLength: 1, maxLength: 30 }), fc.nat(), (mode, texts, k) => {
      const n = 1 + (k % texts.length);
      assert.deepEqual(encodeFrames(mode, texts, false, n), Buffer.concat(texts.slice(0, n).map((t) => encodeFrame(mode, t, false))));
    }),
  );
});
