// The start-up caches' environment check (runtime/kernel/derived-cache.ts): watchEnv notes the
// variables read while it watches, and envHolds tells whether they still have those values.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { envHolds, envKey, watchEnv } from '../../runtime/kernel/derived-cache.ts';

const saved = { ...process.env };
function restore(): void {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
}

test('watchEnv names what was read (get, in, a missing one too), with the values at its start, and puts process.env back', () => {
  const real = process.env;
  process.env.DERIVED_A = 'a';
  try {
    const stop = watchEnv();
    assert.notEqual(process.env, real);
    void process.env.DERIVED_A;
    void ('DERIVED_MISSING' in process.env);
    process.env.DERIVED_A = 'changed while watched';
    assert.equal(process.env.DERIVED_A, 'changed while watched', 'writes go through');
    const r = stop();
    assert.equal(process.env, real);
    assert.ok(r.names !== null && r.names.includes('DERIVED_A') && r.names.includes('DERIVED_MISSING'));
    process.env.DERIVED_A = 'a';
    assert.ok(envHolds(r.names, r.key), 'the values at the start');
    process.env.DERIVED_UNREAD = 'x';
    assert.ok(envHolds(r.names, r.key), 'an unread variable does not count');
    process.env.DERIVED_MISSING = 'now set';
    assert.ok(!envHolds(r.names, r.key), 'a variable read as missing, now set');
  } finally {
    restore();
  }
});

test('listing the environment (a spread, as a child process is given it) makes all of it count', () => {
  try {
    const stop = watchEnv();
    void { ...process.env };
    const r = stop();
    assert.equal(r.names, null);
    assert.ok(envHolds(null, r.key));
    process.env.DERIVED_ANY = '1';
    assert.ok(!envHolds(null, r.key));
  } finally {
    restore();
  }
});

test('envHolds refuses anything malformed', () => {
  const key = envKey([]);
  for (const names of [undefined, 'PATH', [1], {}]) assert.equal(envHolds(names, key), false);
  assert.equal(envHolds([], 42), false);
  assert.equal(envHolds([], key), true);
});

test('property: envKey tells two environments apart exactly when a named value differs', () => {
  const name = fc.constantFrom('A', 'B', 'C');
  const env = fc.dictionary(name, fc.string({ maxLength: 4 }));
  fc.assert(
    fc.property(fc.uniqueArray(name), env, env, (names, x, y) => {
      const differs = names.some((n) => x[n] !== y[n]);
      assert.equal(envKey(names, x) !== envKey(names, y), differs);
    }),
  );
});
