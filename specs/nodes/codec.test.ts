// Frames between nodes: round trips keep structured-clone data, refusals name the field, and
// decoding enforces shape and depth limits (a bad frame is an error, never a crash).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeFrame, encodeFrame, unsendable, withinDepth, W_RUN, W_MAIL } from '../../runtime/nodes/codec.ts';
import { recordStarts } from '../../runtime/nodes/frames.ts';
import { acceptHandshake, dialHandshake } from '../../runtime/nodes/handshake.ts';
import type { FrameChannel } from '../../runtime/nodes/transport.ts';

const value = fc.letrec((tie) => ({
  leaf: fc.oneof(fc.integer(), fc.double({ noNaN: true }).map((x) => (Object.is(x, -0) ? 0 : x)), fc.string(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.bigInt(), fc.date({ noInvalidDate: true })),
  node: fc.oneof({ depthSize: 'small' }, tie('leaf'), fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(fc.string().filter((k) => k !== '__proto__'), tie('node'), { maxKeys: 4, noNullPrototype: true }), fc.uint8Array({ maxLength: 8 })),
})).node;

test('property: a frame of records decodes to what was encoded', () => {
  fc.assert(
    fc.property(fc.array(value, { maxLength: 8 }), fc.string(), (msgs, path) => {
      const records = [W_RUN, `/${path}`, -2, '/from', 0, msgs, W_MAIL, '/x', 1, msgs[0] ?? null, null, -1, 42, 3];
      const back = decodeFrame(encodeFrame(records));
      assert.deepEqual(back, records);
      assert.deepEqual(recordStarts(back), [0, 6]);
    }),
  );
});

test('-0 crosses as 0 (MessagePack has no negative zero; the one value where node links differ from structured clone)', () => {
  const [a, o] = decodeFrame(encodeFrame([-0, { x: -0 }])) as [number, { x: number }];
  assert.ok(Object.is(a, 0) && Object.is(o.x, 0));
});

test('Map, Set, typed arrays and Error cross as themselves', () => {
  const v = { m: new Map([['k', 1]]), s: new Set([1, 2]), f: new Float64Array([1.5, 2]), e: new Error('boom') };
  const [back] = decodeFrame(encodeFrame([v])) as [typeof v];
  assert.deepEqual(back.m, v.m);
  assert.deepEqual(back.s, v.s);
  assert.deepEqual(back.f, v.f);
  assert.equal(back.e.message, 'boom');
});

test('what cannot cross is named by its field', () => {
  assert.equal(unsendable({ a: 1, job: { retry: () => 1 } }), 'field "job.retry" is a function');
  assert.equal(unsendable({ list: [1, Symbol('s')] }), 'field "list.1" is a symbol');
  const cyc: Record<string, unknown> = { n: 1 };
  cyc.self = cyc;
  assert.equal(unsendable({ wrap: cyc }), 'field "wrap.self" refers back to itself (a cycle)');
  assert.equal(unsendable(new WeakMap()), 'the message is a WeakMap');
  assert.equal(unsendable({ plain: [1, 'x', { y: new Date(0) }] }), null);
  let deep: unknown = 1;
  for (let i = 0; i < 80; i++) deep = { d: deep };
  assert.match(unsendable(deep)!, /is nested deeper than the limit/);
});

test('decoding refuses garbage and non-lists with a reason; depth is measured per value', () => {
  assert.throws(() => decodeFrame(Uint8Array.from([0xc1])), /malformed frame/);
  assert.throws(() => decodeFrame(encodeFrame(42 as never)), /expected a list of records/);
  let deep: unknown = 1;
  for (let i = 0; i < 40; i++) deep = i % 3 === 0 ? [deep] : i % 3 === 1 ? { d: deep } : new Map([['k', deep]]);
  const [back] = decodeFrame(encodeFrame([deep]));
  assert.equal(withinDepth(back, 40), true);
  assert.equal(withinDepth(back, 39), false);
  // a value whose extension type only the encoder's refusals use is not accepted from a peer
  assert.throws(() => decodeFrame(Uint8Array.from([0x91, 0xd4, 0x11, 0x00])), /malformed frame/);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      try {
        decodeFrame(bytes);
      } catch (err) {
        assert.match((err as Error).message, /malformed frame|expected a list/);
      }
    }),
  );
});

test('property: a value with something that cannot cross anywhere inside makes the encoder throw, and unsendable names where', () => {
  const bad = fc.constantFrom<[unknown, string]>([() => 1, 'a function'], [Symbol('s'), 'a symbol'], [new WeakMap(), 'a WeakMap'], [Promise.resolve(), 'a Promise']);
  const key = fc.string({ minLength: 1, maxLength: 4 }).filter((k) => k !== '__proto__' && !k.includes('.'));
  fc.assert(
    fc.property(value, fc.array(fc.oneof(key, fc.nat(3)), { maxLength: 5 }), bad, (base, path, [thing, what]) => {
      // wrap the thing in objects and arrays along `path`, then put it next to an ordinary value
      let v: unknown = thing;
      for (let i = path.length - 1; i >= 0; i--) {
        const k = path[i];
        if (typeof k === 'number') v = [...Array<number>(k).fill(0), v];
        else v = { [k]: v };
      }
      const msg = { base, inner: v };
      assert.throws(() => encodeFrame([W_RUN, '/x', -1, null, -1, [1, msg]]));
      const where = ['inner', ...path].join('.');
      assert.equal(unsendable(msg), `field "${where}" is ${what}`);
    }),
  );
});

/** Two channels wired back to back in memory (the handshake is transport-agnostic). */
function pair(): [FrameChannel, FrameChannel] {
  const mk = (): FrameChannel & { other?: FrameChannel } => ({
    remote: 'mem',
    onFrame: () => {},
    onClose: () => {},
    send(f) {
      const o = this.other!;
      queueMicrotask(() => o.onFrame?.(f));
    },
    bufferedBytes: () => 0,
    close(why, deliberate = false) {
      const o = this.other!;
      queueMicrotask(() => o.onClose(why, deliberate));
    },
  });
  const a = mk();
  const b = mk();
  a.other = b;
  b.other = a;
  return [a, b];
}

test('handshake: both sides prove the secret; a wrong one fails on the side that checks', async () => {
  const s = Buffer.from('0123456789abcdef0123');
  let [l, d] = pair();
  const [acc, dial] = await Promise.all([acceptHandshake(l, 'b', 'ib', s, 1000), dialHandshake(d, 'a', 'ia', 'b', s, 'node', 1000)]);
  assert.deepEqual(acc, { peer: 'a', role: 'node', incarnation: 'ia' });
  assert.deepEqual(dial, { peer: 'b', role: 'node', incarnation: 'ib' });

  [l, d] = pair();
  const wrong = Buffer.from('another secret, wrong');
  const results = await Promise.allSettled([acceptHandshake(l, 'b', 'ib', s, 300), dialHandshake(d, 'a', 'ia', 'b', wrong, 'node', 300)]);
  assert.equal(results[0].status, 'rejected');
  assert.match(String((results[0] as PromiseRejectedResult).reason), /authentication failed for a \(wrong secret\)/);
  assert.equal(results[1].status, 'rejected');

  [l, d] = pair();
  const other = await Promise.allSettled([acceptHandshake(l, 'c', 'ic', s, 300), dialHandshake(d, 'a', 'ia', 'b', s, 'node', 300)]);
  assert.match(String((other[1] as PromiseRejectedResult).reason), /expected node b, found c/);
});
