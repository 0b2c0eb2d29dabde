// Binary publish runs on the client -> local broker socket (protocols/broker/publish-run.ts,
// client-socket.ts) and the link frame the local broker forwards them in (publish-run encoded as
// publish-batch): round trips, runs and JSON lines split anywhere, every truncation, garbage,
// layout mutations, size caps; then over a real socket, per-publish codes inside one run (bad
// UTF-8 -4, over the limit -3, unknown id -1) beside JSON lines on the same connection.

import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { ClientSocketSplitter, type ClientItem } from '../../protocols/broker/client-socket.ts';
import { decodeBrokerFrame, encodeBrokerFrame } from '../../protocols/broker/index.ts';
import { decodePublishRun, encodePublishRun, PUBLISH_RUN_HEADER, publishTexts } from '../../protocols/broker/publish-run.ts';
import { ProtocolError } from '../../protocols/errors.ts';
import { BrokerClient } from 'actor-runtime/broker';
import { startCluster, waitFor, type Cluster } from './helpers.ts';

const H = PUBLISH_RUN_HEADER;
const topicArb = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,20}$/);
const wellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();
const textArb = fc.oneof(fc.string({ maxLength: 70 }), fc.string({ unit: 'binary', maxLength: 30 }).filter(wellFormed));
const runArb = fc.record({
  rid: fc.integer({ min: 1, max: 0xffff_0000 }),
  id: fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })),
  topic: topicArb,
  msgs: fc.array(textArb, { minLength: 1, maxLength: 20 }),
}, { noNullPrototype: true });
type RunSpec = { rid: number; id: number; topic: string; msgs: string[] };

const encode = (r: RunSpec): Buffer => encodePublishRun(r.rid, r.id, r.topic, r.msgs);

function plain(items: ClientItem[]): unknown[] {
  return items.map((it) => (it.kind === 'line' ? it.line.toString() : { rid: it.run.rid, id: it.run.id, topic: it.run.topic, msgs: publishTexts(it.run) }));
}

function mustThrowProtocol(f: () => unknown): void {
  assert.throws(f, (e: unknown) => e instanceof ProtocolError, 'a ProtocolError');
}

describe('binary publish runs', () => {
  it('round trip: every run decodes to its rid, id, topic and texts', () => {
    fc.assert(
      fc.property(runArb, (r) => {
        const b = encode(r);
        assert.deepEqual([b[0], b[1]], [0x00, 0x50]);
        assert.equal(b.readUInt32BE(2), b.length - H);
        const d = decodePublishRun(b, H, b.length - H);
        assert.deepEqual({ rid: d.rid, id: d.id, topic: d.topic, count: d.count, msgs: publishTexts(d) }, { rid: r.rid, id: r.id, topic: r.topic, count: r.msgs.length, msgs: r.msgs });
      }),
      { numRuns: 300 },
    );
  });

  it('a slice [from, to) of the texts encodes only those', () => {
    fc.assert(
      fc.property(runArb, fc.nat(), fc.nat(), (r, a, z) => {
        const from = a % r.msgs.length;
        const to = from + 1 + (z % (r.msgs.length - from));
        const b = encodePublishRun(r.rid, r.id, r.topic, r.msgs, from, to);
        assert.deepEqual(publishTexts(decodePublishRun(b, H, b.length - H)), r.msgs.slice(from, to));
      }),
      { numRuns: 100 },
    );
  });

  it('runs and JSON lines split at any points come out whole and in order', () => {
    const item = fc.oneof(runArb.map((r): RunSpec | string => r), fc.json().map((j) => JSON.stringify({ rid: 1, v: j })));
    fc.assert(
      fc.property(fc.array(item, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 }), (items, cuts) => {
        const all = Buffer.concat(items.map((x) => (typeof x === 'string' ? Buffer.from(x + '\n') : encode(x))));
        const points = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b);
        const sp = new ClientSocketSplitter(1 << 20);
        const got: ClientItem[] = [];
        let at = 0;
        for (const p of [...points, all.length]) {
          got.push(...sp.push(all.subarray(at, p)));
          at = p;
        }
        assert.equal(sp.error, null);
        assert.equal(sp.pending, 0);
        assert.deepEqual(plain(got), items.map((x) => (typeof x === 'string' ? x : { rid: x.rid, id: x.id, topic: x.topic, msgs: x.msgs })));
      }),
      { numRuns: 200 },
    );
  });

  it('every truncation of a run is refused by the decoder, and waits (nothing out, no error) in the splitter', () => {
    fc.assert(
      fc.property(runArb, (r) => {
        const b = encode(r);
        for (let cut = 0; cut < b.length; cut++) {
          if (cut >= H) mustThrowProtocol(() => decodePublishRun(b.subarray(0, cut), H, cut - H));
          const sp = new ClientSocketSplitter(1 << 20);
          assert.deepEqual(sp.push(b.subarray(0, cut)), []);
          assert.equal(sp.error, null);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('layout mutations are refused: a count that does not match the entries, trailing bytes, a zero count, rid 0, an id past 2^53-1', () => {
    fc.assert(
      fc.property(runArb, fc.integer({ min: 1, max: 5 }), (r, k) => {
        const b = encode(r);
        const countAt = H + 4 + 8 + 2 + Buffer.byteLength(r.topic);
        const count = b.readUInt32BE(countAt);
        const with_ = (mut: (c: Buffer) => void, extra = 0): Buffer => {
          const c = Buffer.concat([b, Buffer.alloc(extra)]);
          c.writeUInt32BE(c.length - H, 2);
          mut(c);
          return c;
        };
        const bad = [
          with_((c) => c.writeUInt32BE(count + k, countAt)),
          with_((c) => c.writeUInt32BE(Math.max(0, count - k), countAt)),
          with_(() => {}, k),
          with_((c) => c.writeUInt32BE(0, H)),
          with_((c) => c.writeUInt32BE(0x20_0000, H + 4)),
        ];
        for (const c of bad) {
          mustThrowProtocol(() => decodePublishRun(c, H, c.length - H));
          const sp = new ClientSocketSplitter(1 << 20);
          sp.push(c);
          assert.ok(sp.error instanceof ProtocolError, 'the splitter stops with the error');
          assert.deepEqual(sp.push(Buffer.from('{"rid":1}\n')), [], 'and takes nothing after it');
        }
      }),
      { numRuns: 100 },
    );
  });

  it('a run over the size cap is refused from its header; lines before it still come out', () => {
    const sp = new ClientSocketSplitter(100);
    const b = encodePublishRun(1, 1, 't', ['x'.repeat(200)]);
    const got = sp.push(Buffer.concat([Buffer.from('{"a":1}\n'), b.subarray(0, H)]));
    assert.deepEqual(plain(got), ['{"a":1}']);
    assert.equal(sp.error?.code, 'frame-too-large');
  });

  it('garbage never throws out of the splitter: items, or a ProtocolError in `error`; a NUL not followed by P is a line', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), (bytes, cut) => {
        const sp = new ClientSocketSplitter(4096);
        const b = Buffer.from(bytes);
        const c = cut % (b.length + 1);
        sp.push(b.subarray(0, c));
        sp.push(b.subarray(c));
        assert.ok(sp.error === null || sp.error instanceof ProtocolError);
      }),
      { numRuns: 500 },
    );
    const sp = new ClientSocketSplitter(4096);
    assert.deepEqual(plain(sp.push(Buffer.from('\u0000\u0001\u0002\n'))), ['\u0000\u0001\u0002']);
  });

  it('the link frame made from a run is byte for byte the publish-batch of its texts, and decodes as one', () => {
    fc.assert(
      fc.property(runArb.filter((r) => r.id >= 1), fc.integer({ min: 1, max: 0xffff_ffff }), (r, linkRid) => {
        const b = encode(r);
        const d = decodePublishRun(b, H, b.length - H);
        const body = b.subarray(d.bodyAt, d.end);
        const raw = encodeBrokerFrame({ type: 'publish-run', rid: linkRid, id: r.id, topic: r.topic, count: d.count, body });
        const plainFrame = encodeBrokerFrame({ type: 'publish-batch', rid: linkRid, id: r.id, topic: r.topic, msgs: r.msgs });
        assert.deepEqual(raw, plainFrame);
        assert.deepEqual(decodeBrokerFrame(raw.subarray(4)), { type: 'publish-batch', rid: linkRid, id: r.id, topic: r.topic, msgs: r.msgs });
        // a body that does not hold `count` entries, or an entry over the cap, never reaches the wire
        mustThrowProtocol(() => encodeBrokerFrame({ type: 'publish-run', rid: linkRid, id: r.id, topic: r.topic, count: d.count + 1, body }));
        mustThrowProtocol(() => encodeBrokerFrame({ type: 'publish-run', rid: linkRid, id: r.id, topic: r.topic, count: d.count, body: Buffer.concat([body, Buffer.alloc(1)]) }));
        const longest = Math.max(...r.msgs.map((m) => Buffer.byteLength(m)));
        if (longest > 0) mustThrowProtocol(() => encodeBrokerFrame({ type: 'publish-run', rid: linkRid, id: r.id, topic: r.topic, count: d.count, body }, { maxFrameBytes: longest - 1 }));
      }),
      { numRuns: 200 },
    );
  });
});

describe('binary publish runs through a local broker', () => {
  let k: Cluster;
  before(async () => {
    k = await startCluster({ lbs: 1 });
  });
  after(async () => {
    await k.stop();
  });

  /** Writes `bytes` on a fresh connection and collects reply lines until `n` have come. */
  async function exchange(bytes: Buffer[], n: number): Promise<Record<string, unknown>[]> {
    const s = connect(k.lbs[0].socket);
    await new Promise((r) => s.on('connect', r));
    let text = '';
    s.on('data', (d) => (text += d));
    for (const b of bytes) s.write(b);
    const lines = await waitFor(() => {
      const l = text.split('\n').filter((x) => x !== '');
      return l.length >= n ? l : null;
    }, `${n} reply lines`);
    s.destroy();
    return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  it('each publish of a run gets its own code: bad UTF-8 -4, over the limit -3, the rest delivered in order; JSON lines keep working beside it', async () => {
    const c = await BrokerClient.connect({ socket: k.lbs[0].socket });
    const id = await c.create();
    await c.subscribe(id, 'runs');
    // a run with a hole of invalid UTF-8 and a message one byte over the limit between valid ones
    const good = encodePublishRun(100, id, 'runs', ['a', 'b', 'PLACE', 'c', 'x'.repeat(65_537), 'd']);
    const at = good.indexOf(Buffer.from('PLACE'));
    good.set([0xc3, 0x28, 0xff, 0xfe, 0x80], at); // not UTF-8, same length
    const replies = await exchange([Buffer.from('{"rid":1,"op":"subscribe","id":' + id + ',"topic":"more"}\n'), good, Buffer.from('{"rid":2,"op":"publish","id":' + id + ',"topic":"more","msg":"json"}\n')], 3);
    const batch = replies.find((r) => r.batch === 100) as { status: number[]; errors: [number, string][] };
    assert.deepEqual(batch.status, [1, 1, -4, 1, -3, 1]);
    assert.deepEqual(batch.errors, [[2, 'message is not valid UTF-8 text'], [4, 'message is 65537 bytes; limit is 65536']]);
    assert.equal(replies.find((r) => r.rid === 2)?.status, 1);
    const got: string[] = [];
    for (;;) {
      const m = await c.recv(id);
      if (m === null) break;
      got.push(m.msg);
    }
    assert.deepEqual(got, ['a', 'b', 'c', 'd', 'json']);
    // an id this local broker does not know: every publish of the run is -1, nothing is queued
    const unknown = await exchange([encodePublishRun(7, id + 1000, 'runs', ['p', 'q'])], 1);
    assert.deepEqual(unknown[0].status, [-1, -1]);
    assert.equal(await c.recv(id), null);
    // what a binary run cannot carry goes as a JSON batch line, answered as before: a lone
    // surrogate -4 (never replaced), an id out of range -4; the runs around them are unaffected
    const sent = [c.publish(id, 'before', 'runs'), c.publish(id, 'lone \ud800', 'runs'), c.publish(0, 'x', 'runs'), c.publish(id, 'after', 'runs')];
    const settled = await Promise.allSettled(sent);
    assert.deepEqual(settled.map((x) => (x.status === 'fulfilled' ? x.value : (x.reason as { code: number }).code)), [1, -4, -4, 1]);
    assert.deepEqual([(await c.recv(id))?.msg, (await c.recv(id))?.msg, await c.recv(id)], ['before', 'after', null]);
    c.close();
  });

  it('a malformed run gets -9 and closes only that connection', async () => {
    const bad = encodePublishRun(5, 1, 'runs', ['a', 'b']);
    const d = decodePublishRun(bad, H, bad.length - H);
    bad.writeUInt32BE(d.count + 1, d.bodyAt - 4); // three entries announced, two present
    const replies = await exchange([bad], 1);
    assert.equal(replies[0].status, -9);
    assert.equal(replies[0].rid, 0);
    const c = await BrokerClient.connect({ socket: k.lbs[0].socket });
    assert.ok((await c.create()) >= 1, 'the local broker still serves other connections');
    c.close();
  });
});
