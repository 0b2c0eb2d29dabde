// A node stopping on purpose is not a fault: both ends of each of its links log the link's end at
// info, and the peer can tell from the close it receives. A lost link (kill -9) stays a warning.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startNodeProcess, waitFor, type NodeProcess } from './helpers.ts';

const procs: NodeProcess[] = [];
after(async () => {
  for (const p of procs) await p.stop();
});

interface Line {
  level: number | string;
  msg: string;
  peer?: string;
  reason?: string;
}

/** The `peer node down` lines a node logged about `peer`. */
function downLines(p: NodeProcess, peer: string): Line[] {
  const out: Line[] = [];
  for (const raw of p.logs().split('\n')) {
    if (!raw.includes('peer node down')) continue;
    const l = JSON.parse(raw) as Line;
    if (l.msg === 'peer node down' && l.peer === peer) out.push(l);
  }
  return out;
}

const isInfo = (l: Line): boolean => l.level === 30 || l.level === 'info';
const isWarn = (l: Line): boolean => l.level === 40 || l.level === 'warn';

test('a deliberate stop logs the link going down at info on both sides; kill -9 of a peer logs it at warn', async () => {
  const b = await startNodeProcess({ name: 'b' });
  procs.push(b);
  const c = await startNodeProcess({ name: 'c', peers: [{ name: 'b', url: b.url }] });
  procs.push(c);
  await waitFor(() => b.logs().includes('"peer node up"') && c.logs().includes('"peer node up"'), 'b and c linked');

  await c.stop(); // c stops on purpose
  const cSide = downLines(c, 'b');
  assert.equal(cSide.length, 1, c.logs());
  assert.ok(isInfo(cSide[0]), `the stopping node logs at info: ${JSON.stringify(cSide[0])}`);
  assert.equal(cSide[0].reason, 'node stopping');
  const bSide = await waitFor(() => (downLines(b, 'c').length > 0 ? downLines(b, 'c') : undefined), 'b sees c go down');
  assert.equal(bSide.length, 1);
  assert.ok(isInfo(bSide[0]), `the peer of a stopping node logs at info: ${JSON.stringify(bSide[0])}`);
  assert.match(bSide[0].reason ?? '', /^peer node stopping/);

  // a lost link is a fault: warn
  const d = await startNodeProcess({ name: 'd', peers: [{ name: 'b', url: b.url }] });
  procs.push(d);
  await waitFor(() => (b.logs().match(/"peer node up"/g) ?? []).length >= 2, 'b and d linked');
  await d.kill9();
  const lost = await waitFor(() => (downLines(b, 'd').length > 0 ? downLines(b, 'd') : undefined), 'b sees d go down');
  assert.ok(isWarn(lost[0]), `a lost peer is logged at warn: ${JSON.stringify(lost[0])}`);
  assert.doesNotMatch(lost[0].reason ?? '', /stopping/);
});
