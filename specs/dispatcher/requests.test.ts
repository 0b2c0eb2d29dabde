// Acceptance A1-A5, A10, A11 (dispatcher.md §9) over real loopback sockets: the request/reply
// path in the three framings, echo and malformed replies, truncation, escaping, pipelining and
// per-connection reply order, isolation of malformed input, large requests, and the json protocol.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { A1_REPLY, A1_REQ, Client, compatEntry, freePort, sleep, startHarness, T, tmpDir, tx, type Harness } from './helpers.ts';

const fixture = new URL('./fixtures/handlers.ts', import.meta.url).pathname;

describe('requests and replies', () => {
  let h: Harness;
  const port: Record<string, number> = {};
  before(async () => {
    const dir = tmpDir();
    for (const k of ['legacy', 'ndjson', 'length32', 'slow', 'pipe', 'json']) port[k] = await freePort();
    h = await startHarness(
      [
        compatEntry(port.legacy, dir, { Name: 'legacy' }),
        compatEntry(port.ndjson, dir, { Name: 'ndjson', Framing: 'ndjson' }),
        compatEntry(port.length32, dir, { Name: 'length32', Framing: 'length32' }),
        compatEntry(port.slow, dir, { Name: 'slow', Handler: { Kind: 'legacy-tx', ServiceDelayMs: 300 }, Workers: { Min: 4, Max: 4 } }),
        compatEntry(port.pipe, dir, { Name: 'pipe', Handler: { Kind: 'legacy-tx', ServiceDelayMs: 200 }, Workers: { Min: 2, Max: 2 } }),
        {
          Name: 'json',
          IP: '127.0.0.1',
          Port: port.json,
          NumThreads: 2,
          StopTimeout: 1,
          LogLevel: 2,
          Handler: { Kind: 'module', Module: fixture, Export: 'echo', Concurrency: 8 },
          LockFile: `${dir}/json.lock`,
          Allow: ['127.0.0.1'],
        },
      ],
      { threads: 2 },
    );
  });
  after(() => h.stop());

  it('A1: the exact 185-byte reply after ≈ ServiceDelayMs, no trailing newline', async () => {
    const c = await Client.connect(port.slow);
    const t0 = Date.now();
    c.send(A1_REQ);
    await c.reply(1);
    const dt = Date.now() - t0;
    assert.equal(c.raw.toString('latin1'), A1_REPLY);
    assert.equal(c.raw.length, 185);
    assert.ok(dt >= 280 && dt < 1500, `reply after ${dt} ms`);
    c.close();
  });

  it('A1: ndjson appends LF, length32 prefixes 00 00 00 B9, the styled request gets the same reply', async () => {
    const n = await Client.connect(port.ndjson, 'ndjson');
    n.send(A1_REQ);
    await n.reply(1);
    assert.equal(n.raw.toString('latin1'), `${A1_REPLY}\n`);
    const l = await Client.connect(port.length32, 'length32');
    l.send(A1_REQ);
    await l.reply(1);
    assert.deepEqual([...l.raw.subarray(0, 4)], [0, 0, 0, 0xb9]);
    assert.equal(l.raw.subarray(4).toString('latin1'), A1_REPLY);
    const styled = `{${T}"AID" : "400200",${T}"CABX" : "400201",${T}"GUID" : "SOMEGUID",${T}"MSG" : "Well, this is the first message going and coming.",${T}"PID" : "somepid",${T}"TERF" : 1000,${T}"TERL" : 3000}`;
    const s = await Client.connect(port.legacy);
    s.send(styled);
    assert.deepEqual(await s.reply(1), [A1_REPLY]);
    for (const c of [n, l, s]) c.close();
  });

  it('A2: an invalid request is echoed within 50 ms without a handler call', async () => {
    const c = await Client.connect(port.slow);
    const req = '{"TERF":0,"TERL":3000,"GUID":"G1","PID":"P1","AID":"A1","CABX":"C1","MSG":"hi"}';
    const t0 = Date.now();
    c.send(req);
    await c.reply(1);
    assert.ok(Date.now() - t0 < 50, `echo after ${Date.now() - t0} ms`);
    assert.equal(
      c.replies[0],
      `{${T}"AID" : "A1",${T}"CABX" : "C1",${T}"GUID" : "G1",${T}"MSG" : "{\\"TERF\\":0,\\"TERL\\":3000,\\"GUID\\":\\"G1\\",\\"PID\\":\\"P1\\",\\"AID\\":\\"A1\\",\\"CABX\\":\\"C1\\",\\"MSG\\":\\"hi\\"}",${T}"PID" : "P1",${T}"TERF" : 0,${T}"TERL" : 3000}`,
    );
    // TERL 0; missing TERF/TERL (shown as 0); an empty text field; a non-string text field; a string TERF
    const cases = [
      tx('G', 'm', { TERL: 0 }),
      '{"TERL":2,"GUID":"G","PID":"P","AID":"A","CABX":"C","MSG":"m"}',
      '{"TERF":1,"GUID":"G","PID":"P","AID":"A","CABX":"C","MSG":"m"}',
      tx('G', 'm', { AID: '' }),
      tx('G', 'm', { PID: 12 }),
      tx('G', 'm', { TERF: '1' }),
    ];
    const t1 = Date.now();
    for (const r of cases) c.send(r);
    await c.reply(1 + cases.length);
    assert.ok(Date.now() - t1 < 200);
    for (let i = 0; i < cases.length; i++) assert.equal(JSON.parse(c.replies[1 + i]).MSG, cases[i]);
    assert.match(c.replies[2], /"TERF" : 0,\t"TERL" : 2\}$/);
    assert.match(c.replies[3], /"TERF" : 1,\t"TERL" : 0\}$/);
    assert.match(c.replies[5], /"PID" : "",/);
    const v = await h.view('slow');
    assert.ok(v.counters.echoReplies >= 7);
    c.close();
  });

  it('A3: truncation and coercion; A4: escaping, extra keys not echoed', async () => {
    const c = await Client.connect(port.legacy);
    c.send('{"TERF":1.9,"TERL":-5,"GUID":"0123456789ABCDEF","PID":"pppppppppppppp","AID":"AAAAAAAAAAAA","CABX":"CCCCCCCCCCCC","MSG":"x"}');
    c.send(JSON.stringify({ TERF: 1, TERL: 2, GUID: 'ééééé', PID: 'P', AID: 'A', CABX: 'C', MSG: 'línea1\nlínea2', X: 'extra' }));
    const [r1, r2] = await c.reply(2);
    assert.equal(r1, `{${T}"AID" : "AAAAAAA",${T}"CABX" : "CCCCCCC",${T}"GUID" : "012345678",${T}"MSG" : "x OK - TX DONE!! ",${T}"PID" : "ppppppppp",${T}"TERF" : 1,${T}"TERL" : -5}`);
    assert.ok(r2.includes('"MSG" : "l\\u00ednea1\\nl\\u00ednea2 OK - TX DONE!! "'));
    assert.ok(r2.includes('"GUID" : "\\u00e9\\u00e9\\u00e9\\u00e9"'), r2); // 4 × 2 bytes ≤ 9, never split
    assert.ok(!r2.includes('"X"'));
    c.close();
  });

  it('A5: pipelined requests in one write are answered in order at ≈ 1, 1, 2, 2 service delays', async () => {
    const c = await Client.connect(port.pipe);
    const t0 = Date.now();
    const at: number[] = [];
    c.sendRaw(['P1', 'P2', 'P3', 'P4'].map((g) => tx(g)).join(''));
    for (let i = 1; i <= 4; i++) {
      await c.reply(i, 3000);
      at.push(Date.now() - t0);
    }
    assert.deepEqual(
      c.replies.map((r) => JSON.parse(r).GUID),
      ['P1', 'P2', 'P3', 'P4'],
    );
    assert.ok(at[0] >= 180 && at[1] < 330, `first pair at ${at}`);
    assert.ok(at[2] >= 380 && at[3] < 700, `second pair at ${at}`);
    // valid, invalid, valid: answered in order (the echo waits for its turn)
    const m = await Client.connect(port.pipe);
    m.sendRaw(tx('V1') + tx('', 'bad') + tx('V2'));
    const rs = await m.reply(3, 3000);
    assert.deepEqual(
      rs.map((r) => JSON.parse(r).GUID),
      ['V1', '', 'V2'],
    );
    c.close();
    m.close();
  });

  it('A5: the same 4 requests split at every offset give the same 4 replies', async () => {
    const stream = Buffer.from(['S1', 'S2', 'S3', 'S4'].map((g) => tx(g)).join(''));
    const offsets = Array.from({ length: stream.length - 1 }, (_, i) => i + 1);
    for (let i = 0; i < offsets.length; i += 40) {
      await Promise.all(
        offsets.slice(i, i + 40).map(async (k) => {
          const c = await Client.connect(port.legacy);
          c.sock.setNoDelay(true);
          c.sendRaw(stream.subarray(0, k));
          await sleep(3);
          c.sendRaw(stream.subarray(k));
          const rs = await c.reply(4, 5000);
          assert.deepEqual(
            rs.map((r) => JSON.parse(r).GUID),
            ['S1', 'S2', 'S3', 'S4'],
            `split at ${k}`,
          );
          c.close();
        }),
      );
    }
  });

  it('A10: malformed input is isolated per connection, in every framing', async () => {
    const ys = [
      { y: await Client.connect(port.slow), guid: 'Y1' },
      { y: await Client.connect(port.slow), guid: 'Y2' },
      { y: await Client.connect(port.slow), guid: 'Y3' },
    ];
    for (const { y, guid } of ys) y.send(tx(guid));
    // (a) ndjson `hello` gets the malformed echo, X stays open
    const xa = await Client.connect(port.ndjson, 'ndjson');
    xa.sendRaw('hello\n');
    await xa.reply(1);
    assert.equal(xa.raw.toString('latin1'), `{${T}"AID" : "",${T}"CABX" : "",${T}"GUID" : "",${T}"MSG" : "hello",${T}"PID" : "",${T}"TERF" : 0,${T}"TERL" : 0}\n`);
    xa.send(tx('XA'));
    assert.equal(JSON.parse((await xa.reply(2))[1]).GUID, 'XA');
    // (b) a request missing GUID gets the echo
    const xb = await Client.connect(port.legacy);
    const noGuid = '{"TERF":1,"TERL":2,"PID":"P","AID":"A","CABX":"C","MSG":"m"}';
    xb.send(noGuid);
    assert.equal(JSON.parse((await xb.reply(1))[0]).MSG, noGuid);
    // (c) garbage between objects (legacy) and a length32 header above MaxFrameBytes close X
    const xc = await Client.connect(port.legacy);
    xc.sendRaw(`${tx('C1')} garbage ${tx('C2')}`);
    await xc.waitEnd();
    assert.deepEqual(xc.replies.map((r) => JSON.parse(r).GUID), ['C1']); // earlier replies are flushed first
    const xd = await Client.connect(port.length32, 'length32');
    xd.sendRaw(Buffer.from([0, 0, 0x20, 0x01]));
    await xd.waitEnd();
    assert.equal(xd.replies.length, 0);
    // Y gets its exact reply; new connections are accepted
    for (const { y, guid } of ys) assert.equal(JSON.parse((await y.reply(1))[0]).GUID, guid);
    const z = await Client.connect(port.legacy);
    z.send(tx('Z'));
    assert.equal(JSON.parse((await z.reply(1))[0]).GUID, 'Z');
    assert.ok((await h.view('legacy')).counters.framingErrors >= 1);
    assert.ok((await h.view('ndjson')).counters.malformed >= 1);
    for (const c of [xa, xb, z, ...ys.map((x) => x.y)]) c.close();
  });

  it('A11: a request with a 5000-byte MSG is answered (compat limit 8192)', async () => {
    const c = await Client.connect(port.legacy);
    const msg = 'x'.repeat(5000);
    c.send(tx('BIG', msg));
    const [r] = await c.reply(1);
    assert.equal(JSON.parse(r).MSG, `${msg} OK - TX DONE!! `);
    c.close();
  });

  it('json protocol with a module handler: compact JSON replies, MALFORMED for garbage', async () => {
    const c = await Client.connect(port.json, 'length32');
    c.send('{"a": [1, 2, {"b": "é"}]}');
    c.send('{nope');
    c.send('42');
    const rs = await c.reply(3);
    assert.deepEqual(rs, ['{"a":[1,2,{"b":"é"}]}', '{"error":{"code":"MALFORMED","message":"the frame is not valid JSON"}}', '42']);
    c.close();
  });
});
