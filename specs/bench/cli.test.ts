// `actor-runtime bench` refuses bad input with one line and exit code 2, before running anything.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const BIN = fileURLToPath(new URL('../../bin/actor-runtime.mjs', import.meta.url));

function bench(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'bench', ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('bench command line', () => {
  it('an unknown scenario: one line naming it and the known ones, exit 2, nothing run', () => {
    const r = bench('kernel', 'nosuch');
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^bench: unknown scenario nosuch \(known: kernel, .*\)\n$/);
  });

  for (const runs of ['0', 'abc', '-1', '1.5']) {
    it(`--runs ${runs}: one line, exit 2`, () => {
      const r = bench(`--runs=${runs}`, 'kernel');
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, `bench: --runs must be a whole number from 1 to 9999, got ${JSON.stringify(runs)}\n`);
    });
  }
});
