import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { formatLine, parseLine } from '../../actors/eventdispatcher/message-cli.ts';
import { Message } from '../../protocols/eventdispatcher/index.ts';
import { RUNS } from '../protocols/helpers.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const node = join(root, 'node_modules', '.bin', 'node');
const bin = join(root, 'bin', 'actor-runtime.ts');

/** The command is registered by the eventdispatcher subsystem (bin/subsystems.ts). */
function entry(): string {
  return bin;
}

function cli(args: string[], input: string): { status: number | null; lines: string[]; stderr: string } {
  const r = spawnSync(node, [entry(), 'message', ...args], { input, encoding: 'utf8', cwd: root, timeout: 30_000 });
  const lines = r.stdout === '' ? [] : r.stdout.replace(/\n$/, '').split('\n');
  return { status: r.status, lines, stderr: r.stderr };
}

describe('actor-runtime message parse', () => {
  it('prints one JSON object per message line, all five header fields present', () => {
    const r = cli(['parse'], 'snap:cluckd/STOP\n\n<sfs:sfv srv:svc/CMD p=1;q="a;b"\r\n:svc/CMD\n{"command":"FIRE","parameters":{"length":-35,"ok":true}}\nLAST x=1');
    assert.equal(r.status, 1, r.stderr);
    const out = r.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(out.length, 5);
    assert.deepEqual(out[0], {
      ok: true,
      message: { sent_from_server: '', sent_from_service: '', server: 'snap', service: 'cluckd', command: 'STOP', parameters: {} },
    });
    assert.deepEqual(out[1], {
      ok: true,
      message: { sent_from_server: 'sfs', sent_from_service: 'sfv', server: 'srv', service: 'svc', command: 'CMD', parameters: { p: '1', q: 'a;b' } },
    });
    assert.equal(out[2].ok, false);
    assert.match(String(out[2].error), /server name before ':' is empty.*byte offset 0/);
    assert.deepEqual((out[3].message as { parameters: unknown }).parameters, { length: '-35', ok: 'true' });
    assert.deepEqual((out[4].message as { command: string }).command, 'LAST');
    // exact key order of the documented shape
    assert.ok(r.lines[0].startsWith('{"ok":true,"message":{"sent_from_server":"","sent_from_service":"","server":"snap","service":"cluckd","command":"STOP","parameters":{}}}'));
  });

  it('exits 0 when every line parses, and --strict applies the name rules', () => {
    assert.equal(cli(['parse'], 'PING\nfire\n').status, 0);
    const strict = cli(['parse', '--strict'], 'PING\nfire\n');
    assert.equal(strict.status, 1);
    assert.equal(JSON.parse(strict.lines[1]).ok, false);
  });
});

describe('actor-runtime message format', () => {
  it('prints the string form, or the JSON form with --json', () => {
    const input = [
      '{"command":"FIRE","parameters":{"name":"Charles","length":"-35"}}',
      '{"sent_from_server":"a","sent_from_service":"","server":"s","service":"v","command":"X","parameters":{"p":"x;y","n":"l1\\nl2"}}',
    ].join('\n');
    const r = cli(['format'], input + '\n');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.lines, ['FIRE length=-35;name=Charles', '<a: s:v/X n=l1\\nl2;p="x;y"']);
    const j = cli(['format', '--json'], input + '\n');
    assert.deepEqual(j.lines, [
      '{"command":"FIRE","parameters":{"length":-35,"name":"Charles"}}',
      '{"sent-from-server":"a","server":"s","service":"v","command":"X","parameters":{"n":"l1\\nl2","p":"x;y"}}',
    ]);
  });

  it('reports objects that cannot be serialized', () => {
    const r = cli(['format'], ['{"command":""}', '{"service":"s"}', 'nope', '[]', '{"command":"A B"}', '{"command":"X","parameters":{"p-x":"1"}}', '{"command":"X","extra":1}', '{"command":"X","parameters":{"p":{}}}'].join('\n') + '\n');
    assert.equal(r.status, 1);
    assert.equal(r.lines.length, 8);
    for (const l of r.lines) {
      const o = JSON.parse(l) as { ok: boolean; error: string };
      assert.equal(o.ok, false);
      assert.ok(o.error.length > 0);
    }
  });

  it('parse | format gives the message back', () => {
    const messages = ['<monster:watchdog ALIVE serial=5;timestamp=1700000000.5', 'snap:cluckd/STOP', 'CMD p="a;b";q=c\\\\d'];
    const parsed = cli(['parse'], messages.join('\n') + '\n');
    const formatted = cli(['format'], parsed.lines.join('\n') + '\n');
    assert.deepEqual(formatted.lines, messages);
  });
});

describe('message CLI line functions (in process)', () => {
  const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,5}$/);
  const value = fc.string({ unit: fc.constantFrom('a', ' ', ';', '"', '\\', '\n', '\r', '=', 'é'), maxLength: 8 });
  it('format(parse(s)) = s for serialized valid messages (outside R1/R2)', () => {
    fc.assert(
      fc.property(
        fc.record({ sentFromServer: fc.oneof(fc.constant(''), name), service: fc.oneof(fc.constant(''), name), command: fc.stringMatching(/^[A-Z][A-Z0-9_]{0,5}$/) }),
        fc.dictionary(name, value, { maxKeys: 4 }),
        (h, parameters) => {
          const m = Message.fromFields({ ...h, parameters });
          const s = m.toMessage();
          const last = m.getAllParameters().at(-1);
          fc.pre(last === undefined || !/[ \r\n]$/.test(last[1]));
          fc.pre(m.getAllParameters().every(([, v]) => !v.endsWith('\\')));
          const p = parseLine(s);
          assert.equal(p.ok, true);
          assert.deepEqual(formatLine(p.text), { ok: true, text: s });
          assert.deepEqual(formatLine(p.text, { json: true }), { ok: true, text: m.toJson() });
        },
      ),
      { numRuns: RUNS },
    );
  });
});
