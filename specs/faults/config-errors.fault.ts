// Fault injection (issue 11, row "a topology or config with a broken line"): every broken
// configuration prints one line per problem, never the same line twice, at most ten problems and a
// count of the rest, and exits 2; enum-like settings (log levels) are validated.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ConfigError, MAX_PRINTED_PROBLEMS, problemLines } from '../../runtime/config/index.ts';
import { runCli, tmpDir } from '../dispatcher/helpers.ts';

const broken: Record<string, string> = {
  'level.yaml': 'lottery:\n  agencies: 2\n  server: { loggingLevel: x, port: 0 }\n  logLevel: y\n',
  'syntax.yaml': 'name: x\nthreads: [\n  foo: : :\n bar\n',
  'cut.json': '{"2_NumDispatchers": 1, "dispatch01": {"IP": "127.0.0.1", "Port": 99999,\n',
  'many.yaml': `dispatchers:\n  instances:\n${'    - { IP: x, Port: 0, Bogus: 1 }\n'.repeat(15)}`,
  'keys.yaml': 'lottery:\n  agencies: 2\n  bogus: 1\npipeline: 3\n',
  'dup.json': `{"2_NumDispatchers": 3, ${[1, 2, 3].map((i) => `"dispatch0${i}": {"IP": "127.0.0.1", "Port": 9100, "Workers": {"Min": 1}, "LockFile": "./same.lock", "Handler": {"Kind": "legacy-tx"}}`).join(', ')}}`,
};

describe('faults: configuration errors a person can read', () => {
  for (const [name, text] of Object.entries(broken)) {
    it(`${name}: exit 2, one line per problem, no duplicates, at most ${MAX_PRINTED_PROBLEMS} + a count`, async () => {
      const dir = tmpDir();
      const file = join(dir, name);
      writeFileSync(file, text);
      const cli = runCli(['run', file, '--for', '1', '--no-control'], { cwd: dir });
      const { code } = await cli.exited;
      assert.equal(code, 2, cli.stderr());
      const lines = cli.stderr().replace(/^error: /, '').split('\n').filter((l) => l !== '');
      assert.ok(lines.length >= 1 && lines.length <= MAX_PRINTED_PROBLEMS + 1, cli.stderr());
      assert.equal(new Set(lines).size, lines.length, `a line printed twice:\n${cli.stderr()}`);
      for (const l of lines) assert.ok(l.startsWith(`${file}: `) || l.startsWith(`${name}: `), `not a problem line: ${l}`);
      if (name === 'level.yaml') {
        assert.match(cli.stderr(), /lottery\.server\.loggingLevel: expected a log level/);
        assert.match(cli.stderr(), /lottery\.logLevel: expected a log level/);
      }
      if (name === 'many.yaml') assert.match(lines.at(-1)!, /and \d+ more problems$/);
    });
  }

  it('LOGGING_LEVEL=x is refused by the lottery server with one line (exit 2)', async () => {
    const cli = runCli(['lottery', 'server', '--port', '0'], { env: { LOGGING_LEVEL: 'x', AGENCIES: '1' }, cwd: tmpDir() });
    const { code } = await cli.exited;
    assert.equal(code, 2, cli.stderr());
    assert.equal(cli.stderr().trim().split('\n').length, 1, cli.stderr());
    assert.match(cli.stderr(), /LOGGING_LEVEL must be one of .* got "x"/);
  });

  it('problemLines: one line each, deduplicated, capped with a count (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 30 }), { maxLength: 40 }), (problems) => {
        const lines = problemLines('f', problems);
        const unique = new Set(problems.map((p) => p.replace(/\s*\r?\n\s*/g, ' / ').trim()).filter((p) => p !== ''));
        assert.ok(lines.every((l) => !l.includes('\n')));
        assert.equal(new Set(lines).size, lines.length);
        assert.equal(lines.length, Math.min(unique.size, MAX_PRINTED_PROBLEMS) + (unique.size > MAX_PRINTED_PROBLEMS ? 1 : 0));
        assert.equal(new ConfigError('f', problems).message, lines.join('\n'));
      }),
    );
  });
});
