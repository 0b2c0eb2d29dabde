// The embedded store (node:sqlite): transactions roll back on throw (also nested ones), batches are
// atomic, and committed data survives closing and reopening the file; an exclusive store (one owning
// process) keeps its commits across a kill -9 of that process.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { openStore, type Store } from '../../runtime/index.ts';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'storage-test-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function fresh(name: string): Store {
  const s = openStore(join(dir, name, 'data.db'));
  s.exec('CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL)');
  return s;
}
// Rows come back as null-prototype objects: copy them into plain ones to compare.
const all = (s: Store): { k: string; v: number }[] => s.all<{ k: string; v: number }>('SELECT k, v FROM kv ORDER BY k').map((r) => ({ k: r.k, v: r.v }));

test('a transaction commits all its writes, or none when it throws', () => {
  const s = fresh('tx');
  try {
    assert.equal(s.transaction(() => {
      s.run('INSERT INTO kv VALUES (?, ?)', 'a', 1);
      s.run('INSERT INTO kv VALUES (?, ?)', 'b', 2);
      return 'done';
    }), 'done');
    assert.throws(
      () =>
        s.transaction(() => {
          s.run('UPDATE kv SET v = 10 WHERE k = ?', 'a');
          s.run('INSERT INTO kv VALUES (?, ?)', 'c', 3);
          throw new Error('changed my mind');
        }),
      /changed my mind/,
    );
    assert.deepEqual(all(s), [{ k: 'a', v: 1 }, { k: 'b', v: 2 }]);
    // A failing statement inside is a throw like any other.
    assert.throws(() => s.transaction(() => {
      s.run('INSERT INTO kv VALUES (?, ?)', 'd', 4);
      s.run('INSERT INTO kv VALUES (?, ?)', 'a', 5); // duplicate key
    }));
    assert.deepEqual(all(s), [{ k: 'a', v: 1 }, { k: 'b', v: 2 }]);
    // The store is usable after a rollback.
    s.transaction(() => s.run('INSERT INTO kv VALUES (?, ?)', 'e', 6));
    assert.equal(all(s).length, 3);
  } finally {
    s.close();
  }
});

test('a nested transaction that throws rolls back its own writes, even when the outer one goes on', () => {
  const s = fresh('nested');
  try {
    s.transaction(() => {
      s.run('INSERT INTO kv VALUES (?, ?)', 'outer', 1);
      assert.throws(() =>
        s.transaction(() => {
          s.run('INSERT INTO kv VALUES (?, ?)', 'inner', 2);
          throw new Error('inner fails');
        }),
      );
      s.run('INSERT INTO kv VALUES (?, ?)', 'after', 3);
    });
    assert.deepEqual(all(s).map((r) => r.k), ['after', 'outer'], 'the inner write is gone, the outer ones are kept');
    assert.throws(() =>
      s.transaction(() => {
        s.transaction(() => s.run('INSERT INTO kv VALUES (?, ?)', 'inner-ok', 4));
        throw new Error('outer fails');
      }),
    );
    assert.deepEqual(all(s).map((r) => r.k), ['after', 'outer'], 'a committed inner transaction is undone by its outer one');
  } finally {
    s.close();
  }
});

test('batch is atomic: one bad row and no row lands (property)', () => {
  const s = fresh('batch');
  try {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 30 }), fc.option(fc.nat()), (keys, dupAt) => {
        s.exec('DELETE FROM kv');
        const rows = keys.map((k, i) => [k, i]);
        if (dupAt !== null) rows.push([keys[dupAt % keys.length], -1]); // violates the primary key
        if (dupAt === null) {
          assert.equal(s.batch('INSERT INTO kv VALUES (?, ?)', rows), keys.length);
          assert.equal(all(s).length, keys.length);
        } else {
          assert.throws(() => s.batch('INSERT INTO kv VALUES (?, ?)', rows));
          assert.equal(all(s).length, 0);
        }
      }),
      { numRuns: 60 },
    );
  } finally {
    s.close();
  }
});

test('committed data survives closing and reopening; rolled-back data does not', () => {
  const path = join(dir, 'reopen', 'data.db');
  const a = openStore(path);
  a.exec('CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL)');
  a.batch('INSERT INTO kv VALUES (?, ?)', [['x', 1], ['y', 2]]);
  assert.throws(() => a.transaction(() => {
    a.run('INSERT INTO kv VALUES (?, ?)', 'z', 3);
    throw new Error('no');
  }));
  a.close();
  a.close(); // idempotent
  const b = openStore(path, { durability: 'normal' });
  try {
    assert.deepEqual(all(b), [{ k: 'x', v: 1 }, { k: 'y', v: 2 }]);
    assert.equal(b.get<{ n: number }>('SELECT count(*) AS n FROM kv')!.n, 2);
    assert.equal(b.location, path);
  } finally {
    b.close();
  }
});

test('an in-memory store works and forgets', () => {
  const m = openStore(':memory:');
  m.exec('CREATE TABLE t (v INTEGER)');
  assert.equal(m.run('INSERT INTO t VALUES (?)', 7).changes, 1);
  assert.deepEqual(m.all<{ v: number }>('SELECT v FROM t').map((r) => r.v), [7]);
  m.close();
  const again = openStore(':memory:');
  assert.throws(() => again.all('SELECT v FROM t'), /no such table/);
  again.close();
});

test('an exclusive store (one owning process) keeps no -shm file, and its commits outlive a kill -9 of that process', async () => {
  const path = join(dir, 'exclusive', 'data.db');
  const x = openStore(path, { exclusive: true });
  x.exec('CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL)');
  x.batch('INSERT INTO kv VALUES (?, ?)', [['a', 1]]);
  assert.equal(existsSync(`${path}-shm`), false, 'the WAL index is in memory');
  assert.equal(existsSync(`${path}-wal`), true);
  x.close();
  // A process that holds the store exclusively, commits, says so, and is killed.
  const storage = new URL('../../runtime/storage/storage.ts', import.meta.url).pathname;
  const code = `const { openStore } = await import(${JSON.stringify(storage)});
    const s = openStore(${JSON.stringify(path)}, { exclusive: true });
    s.batch('INSERT INTO kv VALUES (?, ?)', [['b', 2], ['c', 3]]);
    process.stdout.write('committed\\n');
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('committed') && resolve());
    child.once('exit', (c) => reject(new Error(`exited with ${c} before committing`)));
  });
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const b = openStore(path);
  try {
    assert.deepEqual(all(b), [{ k: 'a', v: 1 }, { k: 'b', v: 2 }, { k: 'c', v: 3 }]);
  } finally {
    b.close();
  }
});
