// The router's routing rules as pure state (eventdispatcher.md §7, §8 "Routing").

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Message } from '../../protocols/eventdispatcher/index.ts';
import { Router, type RouterConnection } from '../../actors/eventdispatcher/router.ts';
import { recordingLogger } from './helpers.ts';

let now = 1_700_000_000_000_000;

function conn(id: string, kind: RouterConnection['kind'] = 'tcp'): RouterConnection & { out: string[]; closed: boolean } {
  const c = {
    id,
    kind,
    address: `127.0.0.1:${id.length + 5000}`,
    out: [] as string[],
    closed: false,
    send(m: Message) {
      c.out.push(m.toMessage());
      return true;
    },
    close() {
      c.closed = true;
    },
  };
  return c;
}

function router(known: string[] = [], debug = false) {
  const stops: boolean[] = [];
  const log = recordingLogger();
  const r = new Router({ serverName: 'snap', log, nowUs: () => now, knownServices: known, myAddress: '127.0.0.1:4040', onStop: (q) => stops.push(q), debug });
  return { r, stops, log };
}

const msg = (s: string): Message => Message.parse(s);

function registered(r: Router, id: string, service: string, list = 'HELP,QUITTING,READY,STOP,UNKNOWN') {
  const c = conn(id);
  r.attach(c);
  r.receive(c, msg(`REGISTER service=${service};version=1`));
  r.receive(c, msg(`snap:communicatord/COMMANDS list=${list}`));
  return c;
}

describe('eventdispatcher router', () => {
  it('REGISTER gets HELP, READY, then the cached message; cache="no;reply" gets SERVICE_UNAVAILABLE', () => {
    const { r } = router(['cluckd']);
    const sender = registered(r, 'a', 'sender');
    r.receive(sender, msg('cluckd/LOCK name=x'));
    r.receive(sender, msg('cluckd/UNLOCK cache="no;reply"'));
    assert.deepEqual(sender.out.slice(2), ['<snap:communicatord snap:sender/SERVICE_UNAVAILABLE destination_service=cluckd;unsent_command=UNLOCK']);
    const target = conn('b');
    r.attach(target);
    r.receive(target, msg('REGISTER service=cluckd;version=1'));
    assert.deepEqual(target.out, [
      '<snap:communicatord HELP',
      '<snap:communicatord READY my_address=127.0.0.1:4040',
      '<snap:sender cluckd/LOCK name=x',
    ]);
    assert.equal(r.cache.size(), 0);
  });

  it('unknown services are not cached; transmission_report=failure reports cached or failed', () => {
    const { r } = router(['known']);
    const s = registered(r, 'a', 's');
    s.out.length = 0;
    r.receive(s, msg('known/X transmission_report=failure'));
    r.receive(s, msg('nobody/Y transmission_report=failure'));
    assert.deepEqual(s.out, ['<snap:communicatord snap:s/TRANSMISSION_REPORT command=X;status=cached', '<snap:communicatord snap:s/TRANSMISSION_REPORT command=Y;status=failed']);
  });

  it('a cache ttl expires; an invalid ttl is logged and the default kept', () => {
    const { r, log } = router(['svc']);
    const s = registered(r, 'a', 's');
    r.receive(s, msg('svc/OLD cache="ttl=10"'));
    r.receive(s, msg('svc/NEW cache="ttl=5"'));
    assert.match(log.lines.find((l) => l.level === 'error')!.msg, /cache ttl "5" is not valid/);
    now += 11_000_000;
    const t = conn('t');
    r.attach(t);
    r.receive(t, msg('REGISTER service=svc;version=1'));
    assert.deepEqual(t.out.slice(2), ['<snap:s svc/NEW cache=ttl=5']);
  });

  it('*/STOP reaches only the local services whose COMMANDS list contains STOP; other:*/X is rejected', () => {
    const { r, log } = router();
    const a = registered(r, 'a', 'a', 'HELP,QUITTING,READY,STOP,UNKNOWN');
    const b = registered(r, 'b', 'b', 'HELP,QUITTING,READY,UNKNOWN');
    const udp = conn('u', 'udp');
    r.attach(udp);
    a.out.length = 0;
    b.out.length = 0;
    r.receive(udp, msg('*/STOP'));
    assert.deepEqual(a.out, ['*/STOP']);
    assert.deepEqual(b.out, []);
    r.receive(udp, msg('other:*/STOP'));
    assert.deepEqual(a.out, ['*/STOP']);
    assert.match(log.lines.filter((l) => l.level === 'error').at(-1)!.msg, /cannot name server "other"/);
  });

  it('STATUS goes to connections that understand it when a service goes up and down; SERVICE_STATUS answers', () => {
    const { r } = router();
    const watcher = registered(r, 'w', 'watcher', 'HELP,QUITTING,READY,STATUS,STOP,UNKNOWN');
    watcher.out.length = 0;
    const s = registered(r, 's', 'svc');
    r.detach(s.id);
    const sec = String(Math.floor(now / 1_000_000));
    assert.deepEqual(watcher.out, [
      `<snap:communicatord STATUS cache=no;service=svc;status=up;up_since=${sec}`,
      `<snap:communicatord STATUS cache=no;down_since=${sec};service=svc;status=down`,
    ]);
    watcher.out.length = 0;
    r.receive(watcher, msg('SERVICE_STATUS service=svc'));
    assert.deepEqual(watcher.out, [`<snap:communicatord snap:watcher/STATUS cache=no;down_since=${sec};service=svc;status=down`]);
  });

  it('REGISTER over UDP is refused; a bad version is ignored; HELP to the router lists its commands', () => {
    const { r, log } = router();
    const u = conn('u', 'udp');
    r.attach(u);
    r.receive(u, msg('REGISTER service=x;version=1'));
    assert.equal(r.services.size, 0);
    assert.match(log.lines.at(-1)!.msg, /only accepted over a stream/);
    const c = conn('c');
    r.attach(c);
    r.receive(c, msg('REGISTER service=x;version=2'));
    assert.equal(r.services.size, 0);
    r.receive(c, msg('<me:tool HELP'));
    assert.match(c.out[0], /^<snap:communicatord me:tool\/COMMANDS list=.*REGISTER.*SERVICE_STATUS.*UNREGISTER/);
  });

  it('broadcast_msgid is de-duplicated; an expired broadcast_timeout is dropped', () => {
    const { r } = router();
    const a = registered(r, 'a', 'a', 'HELP,PING,QUITTING,READY,STOP,UNKNOWN');
    a.out.length = 0;
    const u = conn('u', 'udp');
    r.receive(u, msg('*/PING broadcast_msgid=x-1'));
    r.receive(u, msg('*/PING broadcast_msgid=x-1'));
    r.receive(u, msg(`*/PING broadcast_msgid=x-2;broadcast_timeout=${Math.floor(now / 1e6) - 1}`));
    assert.equal(a.out.length, 1);
  });

  it('STOP stops the router; while stopping a stream message gets QUITTING and UDP is dropped', () => {
    const { r, stops } = router();
    const a = registered(r, 'a', 'a', 'DISCONNECTING,HELP,QUITTING,READY,STOP,UNKNOWN');
    a.out.length = 0;
    const u = conn('u', 'udp');
    r.receive(u, msg('STOP'));
    assert.deepEqual(stops, [false]);
    assert.deepEqual(a.out, ['<snap:communicatord DISCONNECTING']);
    const late = conn('late');
    r.attach(late);
    r.receive(late, msg('HELP'));
    assert.deepEqual(late.out, ['<snap:communicatord QUITTING']);
    assert.equal(late.closed, true);
  });

  it('a registered service sending to itself is dropped with a warning', () => {
    const { r, log } = router();
    const a = registered(r, 'a', 'a');
    a.out.length = 0;
    r.receive(a, msg('a/PING'));
    assert.deepEqual(a.out, []);
    assert.equal(log.lines.at(-1)!.level, 'warn');
  });

  it('property: messages cached for an unregistered service are delivered exactly once, in order, after HELP and READY', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('X', 'Y', 'Z'), fc.integer({ min: 0, max: 99 })), { maxLength: 30 }), fc.integer({ min: 0, max: 3 }), (sends, reconnects) => {
        const { r } = router(['target']);
        const s = registered(r, 's', 's');
        for (const [cmd, n] of sends) r.receive(s, msg(`target/${cmd} n=${n}`));
        const expected = sends.map(([cmd, n]) => `<snap:s target/${cmd} n=${n}`);
        const seen: string[] = [];
        for (let i = 0; i <= reconnects; i++) {
          const t = conn(`t${i}`);
          r.attach(t);
          r.receive(t, msg('REGISTER service=target;version=1'));
          assert.deepEqual(t.out.slice(0, 2), ['<snap:communicatord HELP', '<snap:communicatord READY my_address=127.0.0.1:4040']);
          seen.push(...t.out.slice(2));
          r.detach(t.id);
        }
        assert.deepEqual(seen, expected);
      }),
      { numRuns: 200 },
    );
  });

  it('property: a COMMANDS list missing a required command is an ERROR; in debug mode it closes only that connection (§7.2)', () => {
    const required = ['HELP', 'QUITTING', 'READY', 'STOP', 'UNKNOWN'];
    fc.assert(
      fc.property(fc.subarray(required), fc.boolean(), (kept, debug) => {
        const { r, log } = router([], debug);
        const good = registered(r, 'g', 'good');
        const c = registered(r, 'c', 'svc', [...kept, 'HI'].join(','));
        const missing = required.filter((x) => !kept.includes(x));
        const errors = log.lines.filter((l) => l.level === 'error');
        if (missing.length === 0) {
          assert.deepEqual(errors, []);
          assert.equal(c.closed, false);
          return;
        }
        assert.equal(errors.length, 1);
        assert.ok(!errors[0]!.msg.includes('\n'));
        assert.match(errors[0]!.msg, new RegExp(`^COMMANDS list of "svc" lacks ${missing.join(', ')}`));
        assert.equal(c.closed, debug);
        assert.equal(r.services.get('svc')!.status, debug ? 'down' : 'up');
        // The other service is untouched either way.
        assert.equal(good.closed, false);
        assert.equal(r.services.get('good')!.status, 'up');
      }),
      { numRuns: 100 },
    );
  });
});
