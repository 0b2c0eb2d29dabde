// The runner's quick-versus-full check (bench/full-ranges.ts): a full run records each ratio's
// paired-sample range; a later quick run shows beside each ratio whether it is inside that range.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareWithFull, recordFullRanges } from '../../bench/full-ranges.ts';
import { renderTerminal, type Row } from '../../bench/report.ts';

const row = (name: string, ratio: number, min: number, max: number): Row => ({
  scenario: 's',
  name,
  value: ratio * 10,
  unit: 'x/s',
  baseline: 10,
  baselineName: 'base',
  ratio,
  target: '≥ 1x',
  pass: ratio >= 1,
  spread: 0.1,
  ratioMin: min,
  ratioMax: max,
  ratioSamples: 5,
  runs: 5,
});

test('a quick ratio is marked in or out of the last full run range; full runs merge row by row', () => {
  const dir = mkdtempSync(join(tmpdir(), 'full-ranges-'));
  try {
    recordFullRanges(dir, [row('a', 1.0, 0.9, 1.2), row('b', 2.0, 1.8, 2.2)], '2026-01-01');
    recordFullRanges(dir, [row('b', 3.0, 2.5, 3.5)], '2026-01-02'); // a later full run of one scenario
    const saved = JSON.parse(readFileSync(join(dir, 'full-ranges.json'), 'utf8'));
    assert.deepEqual(Object.keys(saved).sort(), ['a', 'b']);
    assert.equal(saved.b.ratio, 3.0);
    assert.equal(saved.a.date, '2026-01-01');

    const quick = [row('a', 1.1, 1.0, 1.2), row('b', 2.0, 1.9, 2.1), row('c', 1.0, 0.9, 1.1)];
    compareWithFull(dir, quick);
    assert.equal(quick[0].full?.within, true);
    assert.equal(quick[1].full?.within, false, '2.0x is outside the latest full range 2.5-3.5');
    assert.equal(quick[2].full, undefined, 'no full run for c');
    const text = renderTerminal(quick);
    assert.match(text, /last full run/);
    assert.match(text, /in 0\.90-1\.20 \(full 1\.00x\)/);
    assert.match(text, /OUT of 2\.50-3\.50 \(full 3\.00x\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without a full run the table has no extra column', () => {
  const dir = mkdtempSync(join(tmpdir(), 'full-ranges-'));
  try {
    const quick = [row('a', 1.1, 1.0, 1.2)];
    compareWithFull(dir, quick);
    assert.doesNotMatch(renderTerminal(quick), /last full run/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
