// The binary stream runs of the client <-> local broker socket (protocols/broker/stream-binary.ts):
// round trips, streams of runs and JSON lines split anywhere, every truncation, garbage, size caps
// and invalid UTF-8; the local broker's runs per id of a server frame (runs.ts), and its
// LocalStream writing them as binary runs.

import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeStreamRun, encodeStreamRun, LbSocketSplitter, MAX_RUN, runText, type LbItem, type StreamRun } from '../../protocols/broker/stream-binary.ts';
import { ProtocolError } from '../../protocols/errors.ts';
import { LocalStream } from '../../actors/broker/local/stream.ts';
import type { Inbox } from '../../actors/broker/local/inbox.ts';
import { deliveryRuns, runLength, type Run } from '../../actors/broker/local/runs.ts';
import { decodeClientLine, encodeStreamOpen, type DeliverBatchFrame } from '../../protocols/broker/index.ts';

const topicArb = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,20}$/);
const textArb = fc.oneof(fc.string({ maxLength: 70 }), fc.string({ unit: 'binary', maxLength: 30 }).filter((s) => (s as unknown as { isWellFormed(): boolean }).isWellFormed()));
const runArb = fc.record({
  stream: fc.integer({ min: 1, max: 0xffff_ffff }),
  topic: topicArb,
  seq: fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER - 100 })),
  texts: fc.array(textArb, { minLength: 1, maxLength: 20 }),
}, { noNullPrototype: true });
type RunSpec = { stream: number; topic: string; seq: number; texts: string[] };

function texts(r: StreamRun): string[] {
  const out: string[] = [];
  for (let i = 0; i < r.count; i++) out.push(runText(r, i));
  return out;
}

function plain(items: LbItem[]): unknown[] {
  return items.map((it) => (it.kind === 'line' ? it.text : { stream: it.run.stream, topic: it.run.topic, seq: it.run.seq, texts: texts(it.run) }));
}

function mustThrowProtocol(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof ProtocolError, `a ProtocolError, not ${String(e)}`);
    return;
  }
  assert.fail('expected a ProtocolError');
}

describe('binary stream runs', () => {
  it('round trip: every run decodes to its topic, seqs and texts', () => {
    fc.assert(
      fc.property(runArb, (r) => {
        const b = encodeStreamRun(r.stream, r.topic, r.seq, r.texts);
        assert.equal(b[0], 0);
        assert.equal(b.readUInt32BE(1), b.length - 5);
        const d = decodeStreamRun(b, 5, b.length - 5);
        assert.deepEqual({ stream: d.stream, topic: d.topic, seq: d.seq, count: d.count }, { stream: r.stream, topic: r.topic, seq: r.seq, count: r.texts.length });
        assert.deepEqual(texts(d), r.texts);
      }),
      { numRuns: 300 },
    );
  });

  it('a slice [from, to) of the texts encodes only those', () => {
    fc.assert(
      fc.property(runArb, fc.nat(), fc.nat(), (r, a, z) => {
        const from = a % r.texts.length;
        const to = from + 1 + (z % (r.texts.length - from));
        const b = encodeStreamRun(r.stream, r.topic, r.seq, r.texts, from, to);
        const d = decodeStreamRun(b, 5, b.length - 5);
        assert.deepEqual(texts(d), r.texts.slice(from, to));
      }),
      { numRuns: 100 },
    );
  });

  it('runs and JSON lines split at any points come out whole and in order', () => {
    const item = fc.oneof(runArb.map((r): RunSpec | string => r), fc.json().map((j) => JSON.stringify({ rid: 1, v: j })));
    fc.assert(
      fc.property(fc.array(item, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 }), (items, cuts) => {
        const parts = items.map((x) => (typeof x === 'string' ? Buffer.from(x + '\n') : encodeStreamRun(x.stream, x.topic, x.seq, x.texts)));
        const all = Buffer.concat(parts);
        const points = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b);
        const sp = new LbSocketSplitter(1 << 20);
        const got: LbItem[] = [];
        let at = 0;
        for (const p of [...points, all.length]) {
          got.push(...sp.push(all.subarray(at, p)));
          at = p;
        }
        assert.equal(sp.pending, 0);
        assert.deepEqual(plain(got), items);
      }),
      { numRuns: 200 },
    );
  });

  it('every truncated payload is refused, and a truncated run waits in the splitter', () => {
    fc.assert(
      fc.property(runArb, (r) => {
        const b = encodeStreamRun(r.stream, r.topic, r.seq, r.texts);
        for (let n = 0; n < b.length - 5; n++) mustThrowProtocol(() => decodeStreamRun(b, 5, n));
        const sp = new LbSocketSplitter(1 << 20);
        assert.deepEqual(sp.push(b.subarray(0, b.length - 1)), []);
        assert.equal(sp.pending, b.length - 1);
        assert.equal(sp.push(b.subarray(b.length - 1)).length, 1);
      }),
      { numRuns: 60 },
    );
  });

  it('garbage payloads are refused with a ProtocolError or decode to texts (never another error)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const b = Buffer.from(bytes);
        try {
          texts(decodeStreamRun(b, 0, b.length));
        } catch (e) {
          assert.ok(e instanceof ProtocolError, String(e));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a mutated byte of a valid run is refused or decodes (never another error)', () => {
    fc.assert(
      fc.property(runArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (r, at, x) => {
        const b = Buffer.from(encodeStreamRun(r.stream, r.topic, r.seq, r.texts));
        const i = 5 + (at % (b.length - 5));
        b[i] ^= x;
        try {
          texts(decodeStreamRun(b, 5, b.length - 5));
        } catch (e) {
          assert.ok(e instanceof ProtocolError, String(e));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('invalid UTF-8 in a text is refused when taken, never replaced', () => {
    const b = Buffer.from(encodeStreamRun(1, 'news', 5, ['ok', 'é!']));
    b[b.length - 2] = 0xff; // the first byte of "é" becomes invalid
    const d = decodeStreamRun(b, 5, b.length - 5);
    assert.equal(runText(d, 0), 'ok');
    mustThrowProtocol(() => runText(d, 1));
  });

  it('size caps: a run or a line over the cap is refused; the encoder refuses a bad count or seq', () => {
    const b = encodeStreamRun(1, 'news', 1, ['x'.repeat(200)]);
    mustThrowProtocol(() => new LbSocketSplitter(100).push(b));
    mustThrowProtocol(() => new LbSocketSplitter(100).push(Buffer.from('{"rid":1,' + '"x":1,'.repeat(30))));
    mustThrowProtocol(() => new LbSocketSplitter(100).push(b.subarray(0, 5))); // refused from its header on
    assert.deepEqual(new LbSocketSplitter(300).push(b.subarray(0, 5)), [], 'a header under the cap waits for its payload');
    mustThrowProtocol(() => encodeStreamRun(1, 'news', 1, []));
    mustThrowProtocol(() => encodeStreamRun(1, 'news', 1, Array.from({ length: MAX_RUN + 1 }, () => '')));
    mustThrowProtocol(() => encodeStreamRun(0, 'news', 1, ['a']));
    mustThrowProtocol(() => encodeStreamRun(1, 'news', Number.MAX_SAFE_INTEGER, ['a', 'b']));
    mustThrowProtocol(() => encodeStreamRun(1, 'news', -1, ['a']));
  });
});

describe('the stream open line asks for runs', () => {
  it('binary: true round-trips, is left out when false, and any other value is a shape error (-9)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 0xffff_ffff }), fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 1, max: 65_536 }), fc.boolean(), (rid, id, credit, binary) => {
        const line = encodeStreamOpen({ rid, id, credit, binary });
        assert.equal(line.includes('binary'), binary);
        assert.deepEqual(decodeClientLine(line), binary ? { type: 'stream', rid, id, credit, binary: true } : { type: 'stream', rid, id, credit });
      }),
      { numRuns: 100 },
    );
    for (const v of ['"yes"', '1', 'null', '[]']) mustThrowProtocol(() => decodeClientLine(`{"rid":1,"op":"stream","id":1,"credit":5,"binary":${v}}`));
  });
});

describe("the local broker's runs (runs.ts) and binary stream (LocalStream)", () => {
  it('deliveryRuns: each gid gets its messages of a frame in order, as runs of one topic and consecutive seqs', () => {
    const pair = fc.record({ gid: fc.integer({ min: 1, max: 3 }), gap: fc.integer({ min: 1, max: 2 }) }, { noNullPrototype: true });
    const msg = fc.record({ topic: fc.integer({ min: 0, max: 1 }), msg: textArb, to: fc.uniqueArray(pair, { minLength: 1, maxLength: 3, selector: (p) => p.gid }) }, { noNullPrototype: true });
    fc.assert(
      fc.property(fc.array(msg, { minLength: 1, maxLength: 30 }), (ms) => {
        const next = new Map<number, number>();
        const want = new Map<number, { topic: string; msg: string; seq: number }[]>();
        const frame: DeliverBatchFrame = { type: 'deliver-batch', topics: ['a', 'b'], msgs: [] };
        for (const m of ms) {
          const to: number[] = [];
          for (const p of m.to) {
            const seq = (next.get(p.gid) ?? 0) + p.gap;
            next.set(p.gid, seq);
            to.push(p.gid, seq);
            want.set(p.gid, [...(want.get(p.gid) ?? []), { topic: frame.topics[m.topic], msg: m.msg, seq }]);
          }
          frame.msgs.push({ topic: m.topic, msg: m.msg, to });
        }
        const got = new Map<number, { topic: string; msg: string; seq: number }[]>();
        deliveryRuns(frame, (gid, r) => {
          assert.ok(runLength(r) >= 1);
          const list = got.get(gid) ?? [];
          for (let k = r.from; k < r.to; k++) list.push({ topic: r.topic, msg: r.texts[k], seq: r.seq + (k - r.from) });
          got.set(gid, list);
        });
        assert.deepEqual(new Map([...got].sort((x, y) => x[0] - y[0])), new Map([...want].sort((x, y) => x[0] - y[0])));
      }),
      { numRuns: 200 },
    );
  });

  it('LocalStream writes each run as binary runs under the size cap, which read back whole', async () => {
    const runArb2 = fc.record({ topic: fc.constantFrom('a', 'b'), texts: fc.array(textArb, { minLength: 1, maxLength: 30 }), seq: fc.integer({ min: 0, max: 1e9 }) }, { noNullPrototype: true });
    await fc.assert(
      fc.asyncProperty(fc.array(runArb2, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 400 }), async (specs, cap) => {
        const runs: Run[] = specs.map((x) => ({ topic: x.topic, texts: x.texts, from: 0, to: x.texts.length, seq: x.seq }));
        const out: (string | Buffer)[] = [];
        const st = new LocalStream(9, 1000, {} as Inbox, (c) => out.push(c), cap);
        for (const r of runs) st.offer(r);
        await Promise.resolve();
        assert.ok(out.every((c) => Buffer.isBuffer(c)), 'only binary runs');
        const decoded = out.map((c) => decodeStreamRun(c as Buffer, 5, (c as Buffer).length - 5));
        const back = decoded.flatMap((r) => texts(r).map((msg, i) => ({ topic: r.topic, msg, seq: r.seq + i })));
        assert.deepEqual(back, runs.flatMap((r) => r.texts.map((msg, i) => ({ topic: r.topic, msg, seq: r.seq + i }))));
        for (const r of decoded) {
          assert.equal(r.stream, 9);
          // a run of more than one text stays under the cap by the 3-bytes-a-unit estimate
          if (r.count > 1) assert.ok(r.buf.length - r.textsAt <= cap, `run texts of ${r.buf.length - r.textsAt} bytes under cap ${cap}`);
        }
      }),
      { numRuns: 150 },
    );
  });
});
