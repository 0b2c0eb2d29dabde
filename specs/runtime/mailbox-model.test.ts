// Model-based tests of the pure Mailbox: priorities (lower first, FIFO within a priority), capacity
// and the four overflow policies, against a plain list model.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { victimIndex } from './helpers.ts';
import { Mailbox, type Offer } from '../../runtime/mailbox/mailbox.ts';
import { newSlot } from '../../runtime/mailbox/queue.ts';
import type { OverflowPolicy } from '../../runtime/actor/types.ts';

interface Item {
  id: number;
  prio: number;
  ask: number;
  /** The sender, when not `sender-<id>` (a run has one sender). */
  from?: string;
}
interface Model {
  items: Item[];
  next: number;
  capacity: number;
  policy: OverflowPolicy;
  /** Ids that left the mailbox without being delivered (evicted or refused). */
  lost: number[];
}

/** The next message out: lowest priority number, oldest first. */
function headIndex(items: Item[]): number {
  let best = -1;
  for (let i = 0; i < items.length; i++) if (best < 0 || items[i].prio < items[best].prio) best = i;
  return best;
}

class OfferCmd implements fc.Command<Model, Mailbox> {
  readonly prio: number;
  readonly asks: boolean;
  constructor(prio: number, asks: boolean) {
    this.prio = prio;
    this.asks = asks;
  }
  check(): boolean {
    return true;
  }
  run(m: Model, mb: Mailbox): void {
    const id = m.next++;
    const item = { id, prio: this.prio, ask: this.asks ? id + 1 : 0 };
    let expected: Offer;
    let evicted: Item | undefined;
    if (m.items.length >= m.capacity) {
      switch (m.policy) {
        case 'reject':
          expected = 'rejected';
          m.lost.push(id);
          break;
        case 'drop-newest':
          expected = 'dropped-newest';
          m.lost.push(id);
          break;
        case 'drop-oldest': {
          const v = victimIndex(m.items);
          if (m.items[v].prio < item.prio) {
            // The newcomer is less urgent than everything queued: it is the one that goes.
            expected = 'dropped-newest';
            m.lost.push(id);
          } else {
            expected = 'dropped-oldest';
            [evicted] = m.items.splice(v, 1);
            m.lost.push(evicted.id);
            m.items.push(item);
          }
          break;
        }
        case 'backpressure':
          expected = 'over';
          m.items.push(item);
          break;
      }
    } else {
      m.items.push(item);
      expected = m.policy === 'backpressure' && m.items.length >= m.capacity ? 'over' : 'ok';
    }
    const got = mb.offer({ id }, `sender-${id}`, item.ask, this.prio);
    assert.equal(got, expected, `offer #${id} prio ${this.prio} into ${m.items.length}/${m.capacity} (${m.policy})`);
    if (evicted) {
      assert.deepEqual(mb.evicted.msg, { id: evicted.id }, 'evicted slot names the dropped message');
      assert.equal(mb.evicted.askId, evicted.ask, 'evicted slot carries its ask id');
    }
    assert.equal(mb.size, m.items.length, 'size');
  }
  toString(): string {
    return `offer(p${this.prio}${this.asks ? ',ask' : ''})`;
  }
}

/** A run of tells from one sender at priority 0 at once: all of it when it fits below capacity, else nothing. */
class OfferRunCmd implements fc.Command<Model, Mailbox> {
  readonly n: number;
  constructor(n: number) {
    this.n = n;
  }
  check(): boolean {
    return true;
  }
  run(m: Model, mb: Mailbox): void {
    const ids = Array.from({ length: this.n }, (_, k) => m.next + k);
    const fits = m.items.length + this.n < m.capacity;
    // the run's list is given with room to spare: only the first n are taken
    const got = mb.offerRun([...ids.map((id) => ({ id })), { id: -1 }], this.n, 'run-sender');
    assert.equal(got, fits, `offerRun of ${this.n} into ${m.items.length}/${m.capacity} (${m.policy})`);
    if (fits) {
      m.next += this.n;
      for (const id of ids) m.items.push({ id, prio: 0, ask: 0, from: 'run-sender' });
    }
    assert.equal(mb.size, m.items.length, 'size');
  }
  toString(): string {
    return `offerRun(${this.n})`;
  }
}

class ShiftCmd implements fc.Command<Model, Mailbox> {
  check(): boolean {
    return true;
  }
  run(m: Model, mb: Mailbox): void {
    const slot = newSlot();
    const got = mb.shift(slot);
    const h = headIndex(m.items);
    if (h < 0) {
      assert.equal(got, false, 'shift of an empty mailbox');
      return;
    }
    const [item] = m.items.splice(h, 1);
    assert.equal(got, true);
    assert.deepEqual(slot.msg, { id: item.id }, `head should be #${item.id} (prio ${item.prio})`);
    assert.equal(slot.from, item.from ?? `sender-${item.id}`);
    assert.equal(slot.askId, item.ask);
    assert.equal(mb.size, m.items.length);
  }
  toString(): string {
    return 'shift';
  }
}

class ContentsCmd implements fc.Command<Model, Mailbox> {
  check(): boolean {
    return true;
  }
  run(m: Model, mb: Mailbox): void {
    const seen: number[] = [];
    mb.forEach((msg) => seen.push((msg as { id: number }).id));
    // forEach visits in delivery order: by priority, then age.
    const expected = [...m.items].sort((a, b) => a.prio - b.prio || a.id - b.id).map((i) => i.id);
    assert.deepEqual(seen, expected, 'forEach order');
  }
  toString(): string {
    return 'contents';
  }
}

const policies: OverflowPolicy[] = ['reject', 'drop-oldest', 'drop-newest', 'backpressure'];

test('Mailbox behaves like a priority list with its overflow policy, runs included (model-based)', () => {
  const cmds = [
    fc.tuple(fc.integer({ min: -2, max: 3 }), fc.boolean()).map(([p, a]) => new OfferCmd(p, a)),
    fc.constant(new OfferCmd(0, false)),
    fc.integer({ min: 0, max: 7 }).map((n) => new OfferRunCmd(n)),
    fc.constant(new ShiftCmd()),
    fc.constant(new ContentsCmd()),
  ];
  fc.assert(
    fc.property(fc.constantFrom(...policies), fc.integer({ min: 1, max: 6 }), fc.commands(cmds, { size: '+1' }), (policy, capacity, commands) => {
      const setup = () => ({ model: { items: [], next: 0, capacity, policy, lost: [] } as Model, real: new Mailbox(capacity, policy) });
      fc.modelRun(setup, commands);
    }),
    { numRuns: 300 },
  );
});

test('Mailbox refuses a capacity below 1', () => {
  assert.throws(() => new Mailbox(0), RangeError);
  assert.throws(() => new Mailbox(Number.NaN), RangeError);
});

test('Mailbox keeps FIFO order through ring-buffer growth and wrap-around, single offers and runs', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 40 }), fc.boolean()), { minLength: 1, maxLength: 12 }), (bursts) => {
      const mb = new Mailbox(10_000, 'reject');
      const slot = newSlot();
      let sent = 0;
      let got = 0;
      for (const [b, asRun] of bursts) {
        if (asRun) {
          // a run grows the ring at once, possibly wrapped around
          assert.ok(mb.offerRun(Array.from({ length: b }, (_, k) => sent + k), b, null));
          sent += b;
        } else for (let i = 0; i < b; i++) mb.offer(sent++, null, 0);
        for (let i = 0; i < Math.ceil(b / 2); i++) {
          assert.ok(mb.shift(slot));
          assert.equal(slot.msg, got++);
        }
      }
      while (mb.shift(slot)) assert.equal(slot.msg, got++);
      assert.equal(got, sent);
    }),
    { numRuns: 100 },
  );
});
