// The lottery server's data folder (issue 11, "no missing parent folder is created outside the
// project's own data folder unless the configuration says so"): a data folder whose parent is
// missing is one line and exit 2 with nothing created; --create-data-dir (server.createDataDir)
// creates the chain; a folder inside the project's .data/ is created unasked, and so is a folder
// whose parent exists; a file in its place is refused.
import assert from 'node:assert/strict';
import { existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PROJECT_DATA, prepareDataDir } from '../../actors/lottery/data-dir.ts';
import { lottery, serverReady, tmp } from './helpers.ts';

describe('lottery data folder', () => {
  it('a data folder whose parent is missing, outside the project data folder: one line, exit 2, nothing created', async () => {
    const missing = join(tmp(), 'not', 'there');
    const p = lottery(['server', '--port', '0', '--agencies', '1', '--data', missing]);
    assert.equal(await p.exited, 2);
    const errors = p.stderr.filter((l) => l.trim().length > 0);
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.match(errors[0], /data folder .*not\/there does not exist/);
    assert.equal(existsSync(join(missing, '..')), false, 'a parent folder was created');
  });

  it('--create-data-dir creates it; the server starts', async () => {
    const wanted = join(tmp(), 'made', 'here');
    const p = lottery(['server', '--port', '0', '--agencies', '1', '--data', wanted, '--create-data-dir']);
    await serverReady(p);
    assert.ok(statSync(wanted).isDirectory());
    p.kill('SIGTERM');
    assert.equal(await p.exited, 0);
  });

  it('inside the project .data/ a folder is created unasked; a file in its place is refused', () => {
    const inside = join(PROJECT_DATA, `data-dir-test-${process.pid}`, 'server');
    try {
      assert.equal(prepareDataDir(inside, false), null);
      assert.ok(statSync(inside).isDirectory());
    } finally {
      rmSync(join(inside, '..'), { recursive: true, force: true });
    }
    const file = join(tmp(), 'a-file');
    writeFileSync(file, 'x');
    assert.match(prepareDataDir(file, true) ?? '', /is not a folder/);
    assert.match(prepareDataDir(join(tmp(), 'x', 'y'), false) ?? '', /does not exist/);
    const child = join(tmp(), 'one-level');
    assert.equal(prepareDataDir(child, false), null, 'its parent exists: created like mkdir');
    assert.ok(statSync(child).isDirectory());
  });
});
