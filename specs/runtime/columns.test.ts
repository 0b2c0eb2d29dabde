// Columnar runs (runtime/threads/columns.ts): a run encoded as columns, cloned and decoded, is exactly
// what structured clone (mode 'clone') or JSON (mode 'json') would have delivered; runs that do
// not qualify are refused (null), never altered. End to end: mail crossing threads arrives the same.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeColumns, encodeColumns } from '../../runtime/threads/columns.ts';
import { ActorSystem } from '../../runtime/index.ts';
import { Keeper, Relay } from './fixtures/actors.ts';
import { rejectionCode } from './helpers.ts';

/** A column's values: usually one type (as real runs have), sometimes anything. */
const column = fc.constantFrom('int', 'double', 'string', 'const', 'bool', 'nullish', 'mixed');
const valueOf = (kind: string): fc.Arbitrary<unknown> =>
  kind === 'int'
    ? fc.integer()
    : kind === 'double'
      ? fc.double() // includes NaN, ±Infinity and -0
      : kind === 'string'
        ? fc.string()
        : kind === 'const'
          ? fc.constant('n')
          : kind === 'bool'
            ? fc.boolean()
            : kind === 'nullish'
              ? fc.constantFrom(null, undefined, 'x')
              : fc.oneof(fc.string(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined));
const keys = fc.uniqueArray(fc.oneof(fc.constantFrom('type', 'n', 'id', 'k', '__proto__', 'toString', '0'), fc.string({ maxLength: 4 })), { minLength: 1, maxLength: 4 });

/** Runs of one shape (the common case), sometimes with an odd message (another shape, a nested value). */
const run = fc
  .tuple(keys, fc.array(column, { minLength: 4, maxLength: 4 }))
  .chain(([ks, kinds]) =>
    fc.tuple(
      fc.constant(ks),
      fc.array(fc.tuple(...ks.map((_, j) => valueOf(kinds[j]))), { minLength: 12, maxLength: 60, size: 'max' }),
      fc.option(fc.tuple(fc.nat(59), fc.oneof(fc.constant({ other: 1 }), fc.constant({ nested: { a: 1 } }), fc.constant([1, 2]), fc.constant('str'))), { nil: null, freq: 3 }),
    ),
  )
  .map(([ks, rows, odd]) => {
    const msgs: unknown[] = rows.map((vals) => {
      const o: Record<string, unknown> = {};
      ks.forEach((k, j) => Object.defineProperty(o, k, { value: vals[j], enumerable: true, writable: true, configurable: true }));
      return o;
    });
    if (odd && msgs.length > 0) msgs[odd[0] % msgs.length] = odd[1];
    return msgs;
  });

describe('columns', () => {
  it("mode 'clone': decode(clone(encode(run))) deep-equals structuredClone(run), or the run is refused", () => {
    let encoded = 0;
    fc.assert(
      fc.property(run, (msgs) => {
        const c = encodeColumns(msgs, 'clone');
        if (c === null) return;
        encoded++;
        assert.deepStrictEqual(decodeColumns(structuredClone(c)), structuredClone(msgs));
      }),
      { numRuns: 400 },
    );
    assert.ok(encoded > 50, `only ${encoded} runs were encoded`);
  });

  it("mode 'json': decode(clone(encode(run))) deep-equals JSON.parse(JSON.stringify(run)), or the run is refused", () => {
    let encoded = 0;
    fc.assert(
      fc.property(run, (msgs) => {
        const c = encodeColumns(msgs, 'json');
        if (c === null) return;
        encoded++;
        assert.deepStrictEqual(decodeColumns(structuredClone(c)), JSON.parse(JSON.stringify(msgs)));
      }),
      { numRuns: 400 },
    );
    assert.ok(encoded > 20, `only ${encoded} runs were encoded`);
  });

  it('encodes a homogeneous run with a constant column and a numeric column; refuses mixed shapes and nested values', () => {
    const msgs = Array.from({ length: 100 }, (_, i) => ({ type: 'n', n: i, s: `x${i}` }));
    const c = encodeColumns(msgs, 'clone');
    assert.ok(c !== null);
    assert.deepEqual(c.cols[0], { v: 'n' });
    assert.ok(c.cols[1] instanceof Float64Array);
    assert.deepEqual(decodeColumns(c), msgs);
    assert.equal(encodeColumns([...msgs.slice(0, 50), { n: 1, type: 'n', s: '' }, ...msgs.slice(50)], 'clone'), null, 'key order differs');
    assert.equal(encodeColumns([...msgs, { type: 'n', n: 1, s: { deep: 1 } }], 'clone'), null);
    assert.equal(encodeColumns([...msgs, { type: 'n', n: 1 }], 'clone'), null, 'a key missing');
    assert.equal(encodeColumns([...msgs, { type: 'n', n: 1, s: '', t: 2 }], 'clone'), null, 'a key more');
    assert.equal(encodeColumns(msgs.map((m) => ({ ...m, n: NaN })), 'json'), null, 'JSON would turn NaN into null');
    assert.equal(encodeColumns(msgs.slice(0, 5), 'clone'), null, 'short runs go as they are');
    const zeros = msgs.map((m) => ({ ...m, n: -0 }));
    assert.ok(Object.is((decodeColumns(encodeColumns(zeros, 'clone')!)[7] as { n: number }).n, -0), 'clone keeps -0');
    assert.ok(Object.is((decodeColumns(encodeColumns(zeros, 'json')!)[7] as { n: number }).n, 0), 'JSON gives 0 for -0');
  });

  it('end to end: runs of mail crossing threads arrive in order and exact (NaN, -0, undefined, strings), mixed with other shapes', async () => {
    const sys = await ActorSystem.start({ threads: 1, logLevel: 'silent' });
    try {
      const rec = sys.spawn(Keeper, { name: 'rec', props: undefined, thread: 'main', mailbox: { capacity: Infinity } });
      const fwd = sys.spawn(Relay, { name: 'fwd', props: { to: rec }, thread: 0, mailbox: { capacity: Infinity } });
      const odd = [NaN, -0, Infinity, undefined, 'ünï', '', 1e300];
      for (let seq = 0; seq < 3000; seq++) {
        const extra = odd[seq % odd.length];
        fwd.tell(seq % 500 === 499 ? { type: 'rec', from: 1, seq, nested: { extra } } : { type: 'rec', from: 1, seq, extra });
      }
      let seen: Record<string, unknown>[] = [];
      for (let i = 0; i < 200 && seen.length < 3000; i++) {
        seen = await rec.ask<Record<string, unknown>[]>({ type: 'dump' });
        if (seen.length < 3000) await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(seen.length, 3000);
      seen.forEach((m, seq) => {
        assert.equal(m.seq, seq);
        const extra = odd[seq % odd.length];
        if (seq % 500 === 499) assert.deepStrictEqual(m.nested, { extra });
        else {
          assert.ok(Object.is(m.extra, extra), `seq ${seq}: ${String(m.extra)} is not ${String(extra)}`);
          assert.ok('extra' in m);
        }
      });
    } finally {
      await sys.stop(2000);
    }
  });

  it('a run that cannot cross (a function inside) is counted as dead letters, one per message; an ask with it rejects unsendable', async () => {
    const sys = await ActorSystem.start({ threads: 1, logLevel: 'silent' });
    try {
      const keeper = sys.spawn(Keeper, { name: 'keeper', props: undefined, thread: 0 });
      await keeper.ask({ type: 'dump' });
      const before = (await sys.snapshot()).counts.deadLetters;
      for (let i = 0; i < 40; i++) keeper.tell({ type: 'x', i, f: i === 20 ? (() => i) : null });
      assert.equal(await rejectionCode(keeper.ask({ type: 'dump', f: () => 0 })), 'unsendable');
      const snap = await sys.snapshot();
      assert.equal(snap.counts.deadLetters - before, 41);
      assert.deepEqual(await keeper.ask({ type: 'dump' }), [], 'nothing of the failed batch arrived');
    } finally {
      await sys.stop(2000);
    }
  });
});
