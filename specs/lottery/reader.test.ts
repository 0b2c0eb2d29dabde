// The agency's two line sources over real files (actors/lottery/reader.ts): the byte source the
// protocol A packer reads (its own loop finds the line endings) yields exactly the lines of the
// text source, for any file: LF and CRLF mixed, empty lines, a leading BOM, no final line ending,
// lines across the 64 kB reads and longer than the buffer; and as many as lottery run's countRows
// counts (the readers' count at the end of each file replaces it in the final check).
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ByteLineSource, LineSource } from '../../actors/lottery/reader.ts';
import { countRows } from '../../actors/lottery/run.ts';
import { tmp } from './helpers.ts';

async function textLines(file: string): Promise<string[]> {
  const src = new LineSource(file);
  await src.open();
  const out: string[] = [];
  for (let l = await src.next(); l !== null; l = await src.next()) out.push(l);
  await src.close();
  return out;
}

async function byteLines(file: string): Promise<string[]> {
  const src = new ByteLineSource(file);
  await src.open();
  const out: string[] = [];
  for (;;) {
    const r = src.nextRange();
    if (r < 0) break;
    if (r === 0) {
      await src.fill();
      continue;
    }
    out.push(src.bytes.toString('utf8', src.lineFrom, src.lineTo));
  }
  await src.close();
  return out;
}

const dir = tmp();
let n = 0;

describe('agency line sources', () => {
  it('property: the byte source yields the text source\'s lines, whatever the line endings, BOM and read boundaries', async () => {
    const line = fc.oneof(
      { weight: 6, arbitrary: fc.stringMatching(/^[A-Za-zñé0-9, -]{0,60}$/) },
      { weight: 1, arbitrary: fc.constant('') },
      { weight: 1, arbitrary: fc.integer({ min: 60_000, max: 140_000 }).map((k) => 'x'.repeat(k)) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(line, fc.constantFrom('\n', '\r\n')), { maxLength: 40 }), fc.boolean(), fc.boolean(), async (rows, bom, lastEnding) => {
        let text = rows.map(([l, eol]) => l + eol).join('');
        if (!lastEnding && rows.length > 0) text = text.replace(/\r?\n$/, '');
        const file = join(dir, `f${++n}.csv`);
        writeFileSync(file, (bom ? '\ufeff' : '') + text);
        try {
          const lines = await byteLines(file);
          assert.deepEqual(lines, await textLines(file));
          // What a reader counts to the end (linesReadToEnd) is what lottery run's check would count.
          assert.equal(countRows(file), lines.length);
        } finally {
          rmSync(file, { force: true });
        }
      }),
      { numRuns: 60 },
    );
  });
});
