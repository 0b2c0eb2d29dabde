// `run` prestarts its worker threads before commander parses its command line
// (runtime/cli/run-early.ts): its guess of the topology file and --threads must be what commander
// reads from the same arguments. Property: over command lines built from `run`'s own options, in
// any order and both spellings (`--opt v`, `--opt=v`), the guess equals the real parse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Command } from 'commander';
import { registerRunCommand } from '../../runtime/cli/commands.ts';
import { runArgsGuess } from '../../runtime/cli/run-early.ts';

/** What commander makes of `run <args>` with the real definition (the action replaced: nothing runs). */
function parsed(args: string[]): { file: string; threads?: string } {
  const program = new Command('actor-runtime').exitOverride();
  registerRunCommand(program);
  let got: { file: string; threads?: string } | null = null;
  program.commands[0].exitOverride().action((file: string, opts: { threads?: string }) => {
    got = { file, threads: opts.threads };
  });
  program.parse(['node', 'actor-runtime', 'run', ...args]);
  assert.ok(got, 'the action was reached');
  return got;
}

const value = fc.stringMatching(/^[a-z0-9.:/]{1,8}$/);
const option = fc.oneof(
  fc.tuple(fc.constantFrom('--for', '--threads', '--control', '--stop-timeout', '--view', '--view-secret-file'), value, fc.boolean()).map(([o, v, joined]) => (joined ? [`${o}=${v}`] : [o, v])),
  fc.constant(['--no-control']),
);

test('property: the early guess of the file and --threads is what commander parses', () => {
  fc.assert(
    fc.property(fc.array(option, { maxLength: 5 }), fc.array(option, { maxLength: 5 }), fc.stringMatching(/^[a-z][a-z0-9./]{0,10}$/), (before, after, file) => {
      const args = [...before.flat(), file, ...after.flat()];
      assert.deepEqual(runArgsGuess(args), parsed(args));
    }),
  );
});

test('no guess for help or without a file', () => {
  assert.equal(runArgsGuess(['--help']), null);
  assert.equal(runArgsGuess(['t.yaml', '-h']), null);
  assert.equal(runArgsGuess([]), null);
  assert.equal(runArgsGuess(['--threads', '2']), null);
});
