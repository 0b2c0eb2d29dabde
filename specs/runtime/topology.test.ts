// Topology files: precise errors (file, path, expected, found), unknown keys with the keys that
// are allowed there, invalid YAML/JSON with line and column, and a valid file parsed as written.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../bin/subsystems.ts';
import { loadSubsystems } from '../../runtime/kernel/subsystem.ts';
import { loadTopology } from '../../runtime/kernel/topology.ts';
import { ConfigError } from '../../runtime/config/index.ts';

let dir: string;
before(async () => {
  await loadSubsystems(); // bin/subsystems.ts registers them lazily
  dir = mkdtempSync(join(tmpdir(), 'topology-test-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function problems(name: string, text: string): { file: string; problems: string[]; message: string } {
  const file = join(dir, name);
  writeFileSync(file, text);
  try {
    loadTopology(file);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `a TopologyError, got ${String(err)}`);
    return { file, problems: err.problems, message: err.message };
  }
  assert.fail(`${name} loaded without error`);
}

test('a wrong enum value names the path, the allowed values and what was found', () => {
  const { file, problems: p, message } = problems('enum.yaml', 'supervisor:\n  strategy: one-for-some\n');
  assert.deepEqual(p, ['supervisor.strategy: expected one of "one-for-one", "one-for-all", "rest-for-one", found the string "one-for-some"']);
  assert.equal(message, `${file}: ${p[0]}`, 'the message starts with the file');
});

test('section values: out of range and wrong type, each on its own path', () => {
  const { problems: p } = problems('demo.yaml', 'demo:\n  crashEvery: 1\n  ratePerSecond: fast\n');
  assert.ok(p.includes('demo.crashEvery: expected number to be >=2; found number 1'), p.join('\n'));
  assert.ok(p.includes('demo.ratePerSecond: expected number, found the string "fast"'), p.join('\n'));
  assert.equal(p.length, 2);
});

test('kernel values: negative counts, nested lists', () => {
  const { problems: p } = problems('kernel.yaml', 'threads: -1\nsupervisor:\n  maxRestarts: 1.5\nnodes:\n  name: a\n  peers:\n    - name: b\n      url: 42\n');
  assert.ok(p.includes('threads: expected number to be >=0; found number -1'), p.join('\n'));
  assert.ok(p.some((x) => x.startsWith('supervisor.maxRestarts: ') && x.endsWith('found number 1.5')), p.join('\n'));
  assert.ok(p.includes('nodes.peers[0].url: expected string, found number 42'), p.join('\n'));
});

test('the nodes schema is built for a file that has the key: its unknown keys are named with the allowed ones', () => {
  const p = problems('nodes-key.yaml', 'nodes:\n  name: a\n  peerz: []\n').problems;
  assert.equal(p.length, 1, p.join('\n'));
  assert.match(p[0], /^nodes: unknown key "peerz" \(expected one of: name, listen, peers, .*\)$/);
  // A file without the key, and one with a value of the wrong kind.
  assert.match(problems('nodes-null.yaml', 'nodes: 3\n').problems[0], /^nodes: expected object, found number 3$/);
});

test('an unknown key is named with the keys allowed at that place (top level and inside a section)', () => {
  const top = problems('unknown.yaml', 'treads: 2\n').problems;
  assert.equal(top.length, 1);
  assert.match(top[0], /^\(top level\): unknown key "treads" \(expected one of: name, threads, .*\bdemo\b.*\)$/);
  const inner = problems('unknown2.yaml', 'demo:\n  rate: 5\n').problems;
  assert.deepEqual(inner, ['demo: unknown key "rate" (expected one of: ratePerSecond, crashEvery, reportEveryMs, dispatcherClient)']);
  const deep = problems('unknown3.yaml', 'supervisor:\n  backoff:\n    minMs: 1\n    maxMs: 2\n    jiter: 0.1\n').problems;
  assert.deepEqual(deep, ['supervisor.backoff: unknown key "jiter" (expected one of: minMs, maxMs, jitter)']);
});

test('invalid YAML gives the line and column', () => {
  const { problems: p } = problems('broken.yaml', 'name: demo\nthreads: [1, 2\nlogLevel: info\n');
  assert.equal(p.length >= 1, true);
  assert.match(p[0], /^line \d+, column \d+: not valid YAML: /);
  assert.doesNotMatch(p[0], /\?/, 'no unknown position');
  const tab = problems('tab.yaml', 'name: demo\ndemo:\n\tcrashEvery: 3\n').problems;
  assert.match(tab[0], /^line 3, column 1: not valid YAML: /, tab.join('\n'));
});

test('invalid JSON, a missing file and a non-mapping document', () => {
  assert.match(problems('broken.json', '{"threads": 2,}').problems[0], /^not valid JSON: .*position 14/);
  assert.match(problems('list.yaml', '- 1\n- 2\n').problems[0], /^expected a mapping of top-level keys, found a list of 2$/);
  assert.throws(() => loadTopology(join(dir, 'missing.yaml')), (e: ConfigError) => e.problems[0] === 'cannot read the file (ENOENT)');
});

test('the demo topology loads as written', () => {
  const t = loadTopology(new URL('../../topologies/demo.yaml', import.meta.url).pathname);
  assert.equal(t.kernel.name, 'demo');
  assert.equal(t.kernel.threads, 2);
  assert.deepEqual(t.kernel.supervisor, { strategy: 'one-for-one', maxRestarts: 10, withinMs: 10000 });
  assert.equal(t.kernel.runForSeconds, 25);
  assert.deepEqual(t.sections.map((s) => s.section.key), ['demo', 'dispatchers', 'lottery', 'eventdispatcher', 'broker']);
  assert.deepEqual(t.sections[0].config, {
    ratePerSecond: 400,
    crashEvery: 97,
    reportEveryMs: 3000,
    dispatcherClient: { host: '127.0.0.1', port: 9100, ratePerSecond: 200 },
  });
});
