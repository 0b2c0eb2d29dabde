// runtime/config: one reader for configuration documents (JSON, YAML, a caller's own format such
// as INI), one ConfigError naming the file and each problem, one zod-issue formatter.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError, formatIssue, readDocument } from '../../runtime/config/index.ts';
import { CliError } from '../../runtime/cli/errors.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'config-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
};
const problemsOf = (f: () => unknown): { problems: string[]; exitCode: number; message: string } => {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof ConfigError && err instanceof CliError, String(err));
    return { problems: err.problems, exitCode: err.exitCode, message: err.message };
  }
  assert.fail('expected a ConfigError');
};

test('reads JSON and YAML by extension, or a format given by the caller', () => {
  assert.deepEqual(readDocument(file('a.json', '{"a": 1}')), { a: 1 });
  assert.deepEqual(readDocument(file('a.yaml', 'a: [1, 2]\n')), { a: [1, 2] });
  assert.deepEqual(readDocument(file('a.ini', 'x=1'), { format: (t) => Object.fromEntries([t.split('=')]) }), { x: '1' });
});

test('a missing file: ConfigError (exit 2) unless optional; bad syntax names the line and column', () => {
  const missing = path.join(dir, 'missing.yaml');
  assert.deepEqual(problemsOf(() => readDocument(missing)), { problems: ['cannot read the file (ENOENT)'], exitCode: 2, message: `${missing}: cannot read the file (ENOENT)` });
  assert.equal(readDocument(missing, { optional: true }), undefined);
  const y = file('bad.yaml', 'a: 1\nb: [1, 2\n');
  assert.match(problemsOf(() => readDocument(y)).problems[0], /^line \d+, column \d+: not valid YAML: /);
  assert.match(problemsOf(() => readDocument(file('bad.json', '{"a": 1,}'))).problems[0], /^not valid JSON: /);
  assert.deepEqual(problemsOf(() => readDocument(file('own.ini', '?'), { format: () => { throw new Error('line 1: not key = value'); } })).problems, ['line 1: not key = value']);
});

test("formatIssue: the path, what was expected (the schema's own words when it has them), what was found", () => {
  const schema = z.strictObject({
    port: z.number({ error: 'expected a port number' }).int().min(1, { error: 'expected a port number' }),
    mode: z.enum(['a', 'b']).optional(),
    n: z.number().min(2).optional(),
    list: z.array(z.strictObject({ s: z.string() })).optional(),
  });
  const doc = { port: 0, mode: 'c', n: 1, list: [{ s: 3 }], extra: true };
  const r = schema.safeParse(doc);
  assert.ok(!r.success);
  const lines = r.error.issues.map((i) => formatIssue(i, doc, { prefix: ['svc'], expectedKeys: () => 'port, mode, n, list' }));
  assert.deepEqual(lines.sort(), [
    'svc.list[0].s: expected string, found number 3',
    'svc.mode: expected one of "a", "b", found the string "c"',
    'svc.n: expected number to be >=2; found number 1',
    'svc.port: expected a port number, found number 0',
    'svc: unknown key "extra" (expected one of: port, mode, n, list)',
  ]);
  const missing = z.strictObject({ port: z.number() }).safeParse({});
  assert.ok(!missing.success);
  assert.equal(formatIssue(missing.error.issues[0], {}), 'port: expected number, found nothing (the key is required)');
});
