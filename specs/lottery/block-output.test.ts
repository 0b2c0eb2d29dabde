// `lottery run`'s block-written stdout (actors/lottery/block-output.ts), on a real file: whatever
// the writes and the pauses between them, the file ends up with exactly the text written, in
// order; a block of `blockBytes` goes out at once, a shorter tail within `flushMs`, and flush()
// writes what is pending immediately, as writeNow() does with its own text after it.
import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BlockOutput } from '../../actors/lottery/block-output.ts';
import { tmp } from './helpers.ts';

const dir = tmp('lottery-block-');
let n = 0;

async function until(what: string, ok: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('lottery run block output', () => {
  it('property: the file holds exactly what was written, in order, whatever the writes, pauses and flushes', async () => {
    type Step = { t: 'write' | 'now'; text: string } | { t: 'pause'; ms: number } | { t: 'flush' };
    const step: fc.Arbitrary<Step> = fc.oneof(
      { weight: 6, arbitrary: fc.string({ unit: 'grapheme', maxLength: 90 }).map((text) => ({ t: 'write' as const, text: `${text}\n` })) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 6 }).map((ms) => ({ t: 'pause' as const, ms })) },
      { weight: 1, arbitrary: fc.constant({ t: 'flush' as const }) },
      { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 90 }).map((text) => ({ t: 'now' as const, text: `${text}\n` })) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 60 }), fc.integer({ min: 1, max: 400 }), async (steps, blockBytes) => {
        const file = join(dir, `out-${++n}`);
        const fd = openSync(file, 'w');
        const out = new BlockOutput(fd, blockBytes, 3);
        let expected = '';
        try {
          for (const s of steps) {
            if (s.t === 'write') {
              out.write(s.text);
              expected += s.text;
            } else if (s.t === 'now') {
              // A line that must not wait: it and everything before it are in the file at once.
              out.writeNow(s.text);
              expected += s.text;
              assert.equal(readFileSync(file, 'utf8'), expected);
            } else if (s.t === 'pause') await new Promise((r) => setTimeout(r, s.ms));
            else out.flush();
            // Never more than a block behind.
            assert.ok(expected.length - readFileSync(file, 'utf8').length < blockBytes + 91);
          }
          out.flush();
          assert.equal(readFileSync(file, 'utf8'), expected);
        } finally {
          out.flush();
          closeSync(fd);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('a block goes out at once; a shorter tail within flushMs; flush() at once', async () => {
    const file = join(dir, 'timing');
    const fd = openSync(file, 'w');
    const out = new BlockOutput(fd, 64, 20);
    try {
      out.write('x'.repeat(70));
      assert.equal(readFileSync(file, 'utf8').length, 70, 'a full block is written synchronously');
      out.write('tail\n');
      assert.equal(readFileSync(file, 'utf8').length, 70, 'a short tail waits');
      await until('the tail written by the timer', () => readFileSync(file, 'utf8').endsWith('tail\n'));
      out.write('more\n');
      out.flush();
      assert.ok(readFileSync(file, 'utf8').endsWith('tail\nmore\n'));
    } finally {
      out.flush();
      closeSync(fd);
    }
  });
});
