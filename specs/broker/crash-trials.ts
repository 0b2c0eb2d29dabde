// `npm run test:crash`: 102 crash trials (broker.md §12) over one server and one local broker as
// child processes: a kill -9 of the server, a kill -9 of the local broker, or a cut of the link, at
// a random moment of a random step of a random sequence; every acknowledged effect is checked.
// BROKER_CRASH_SEED replays a run; BROKER_CRASH_TRIALS changes the count.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CrashRig } from './crash-harness.ts';

const trials = Number(process.env.BROKER_CRASH_TRIALS ?? 102);
const base = Number(process.env.BROKER_CRASH_SEED ?? Date.now() % 1e6);

describe(`broker crash trials (${trials}, seed ${base})`, () => {
  const rig = new CrashRig();
  before(() => rig.start());
  after(() => rig.stop());
  let acked = 0;
  let ambiguous = 0;
  for (let i = 0; i < trials; i++) {
    const which = (['server', 'local', 'link'] as const)[i % 3];
    it(`trial ${i} (seed ${base + i}): ${which === 'link' ? 'link cut' : `kill -9 ${which}`}`, async () => {
      const r = await rig.trial(base + i, which);
      acked += r.acked;
      ambiguous += r.ambiguous;
    });
  }
  it('the trials acknowledged operations around the crashes', () => {
    process.stderr.write(`crash trials: ${acked} acknowledged operations checked, ${ambiguous} settled after a lost reply\n`);
    assert.ok(acked > trials);
  });
});
