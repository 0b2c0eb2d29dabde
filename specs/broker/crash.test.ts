// A few crash trials in the regular suite (kill -9 of the server and of the local broker at random
// steps); `npm run test:crash` runs 100 more (crash-trials.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CrashRig } from './crash-harness.ts';

describe('broker crash trials (short)', () => {
  const rig = new CrashRig();
  before(() => rig.start());
  after(() => rig.stop());

  for (let i = 0; i < 6; i++) {
    const which = (['server', 'local', 'link'] as const)[i % 3];
    it(`trial ${i}: ${which === 'link' ? 'cut the link' : `kill -9 the ${which}`} at a random step; every acknowledged effect survives`, async () => {
      const seed = Number(process.env.BROKER_CRASH_SEED ?? Date.now() % 1e6) + i;
      const r = await rig.trial(seed, which);
      assert.ok(r.acked > 0);
    });
  }
});
