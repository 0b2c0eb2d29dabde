// Group commit of the BetStore's WAL (runtime/storage/wal-sync.ts), on a real file with real
// fdatasync calls: the test only decides when each sync's completion is delivered (and, in some
// runs, that one fails), over any interleaving of commits and completions, with 1, 2 or 4 syncs in
// flight. Properties: no reply is acknowledged before a sync that started after its commit has
// ended; acknowledgements go out in commit order; after a failed sync nothing more is acknowledged
// (the waiting replies and every later one fail); close() settles everything still waiting; `busy`
// holds while no sync can start, and the end of the last running sync is told (the BetStore
// commits what it held back meanwhile).
import assert from 'node:assert/strict';
import { fdatasyncSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { WalSync } from '../../runtime/storage/wal-sync.ts';

const dir = mkdtempSync(join(tmpdir(), 'wal-sync-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const wal = join(dir, 'bets.sqlite-wal');
writeFileSync(wal, 'frames');

type Step = { t: 'commit' } | { t: 'query' } | { t: 'complete'; pick: number };
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.constant({ t: 'commit' as const }),
  fc.constant({ t: 'query' as const }),
  fc.nat(7).map((pick) => ({ t: 'complete' as const, pick })),
);

describe('WAL group commit', () => {
  it('acknowledges a commit only after a sync that started after it ended, in commit order; a failure stops all acknowledgement', () => {
    fc.assert(
      fc.property(fc.constantFrom(1, 2, 4), fc.array(step, { minLength: 1, maxLength: 60 }), fc.option(fc.nat(12), { nil: null }), (maxInFlight, steps, failAt) => {
        let clock = 0;
        const syncs: { started: number; ended: number | null; ok: boolean; done: (err: NodeJS.ErrnoException | null) => void }[] = [];
        const running: number[] = [];
        const ws = new WalSync(wal, true, () => {}, {
          syncDir: (d, done) => done(null),
          maxInFlight,
          sync: (fd, done) => {
            syncs.push({ started: clock++, ended: null, ok: true, done });
            running.push(syncs.length - 1);
            void fd;
          },
        });
        const commits: { at: number; acked: number | null; failed: boolean }[] = [];
        const acks: number[] = [];
        /** settled() calls: the commits told before each, and whether every one of them was acknowledged when it answered. */
        const queries: { before: number; answered: 'ok' | 'failed' | null; allAcked: boolean }[] = [];
        let failedAt: number | null = null;
        const complete = (k: number): void => {
          const s = syncs[k];
          running.splice(running.indexOf(k), 1);
          const fail = failAt !== null && k === failAt;
          if (!fail) fdatasyncSync(ws['fd' as keyof WalSync] as unknown as number); // the real sync, completed now
          s.ended = clock++;
          s.ok = !fail;
          if (fail && failedAt === null) failedAt = s.ended;
          s.done(fail ? Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }) : null);
        };
        for (const st of steps) {
          if (st.t === 'commit') {
            const i = commits.length;
            const c = { at: clock++, acked: null as number | null, failed: false };
            commits.push(c);
            ws.after(
              () => {
                c.acked = clock++;
                acks.push(i);
              },
              () => (c.failed = true),
            );
          } else if (st.t === 'query') {
            const q = { before: commits.length, answered: null as 'ok' | 'failed' | null, allAcked: false };
            queries.push(q);
            ws.settled(
              () => {
                q.answered = 'ok';
                q.allAcked = commits.slice(0, q.before).every((c) => c.acked !== null);
              },
              () => (q.answered = 'failed'),
            );
          } else if (running.length > 0) {
            complete(running[st.pick % running.length]);
          }
        }
        while (running.length > 0) complete(running[0]);
        for (const [i, c] of commits.entries()) {
          if (c.acked === null) continue;
          assert.ok(!c.failed, `commit ${i} both acknowledged and failed`);
          const covering = syncs.some((s) => s.ok && s.started > c.at && s.ended !== null && s.ended <= c.acked!);
          assert.ok(covering, `commit ${i} acknowledged without a sync that started after it`);
          if (failedAt !== null) assert.ok(c.acked < failedAt, `commit ${i} acknowledged after a failed sync`);
        }
        assert.deepEqual(acks, [...acks].sort((a, b) => a - b), 'acknowledgements out of commit order');
        // settled() answers only once every commit before it is acknowledged (durable), and answers in the end.
        for (const [i, q] of queries.entries()) {
          if (q.answered === 'ok') assert.ok(q.allAcked, `query ${i} answered before the commits it follows were durable`);
          if (failedAt === null) assert.equal(q.answered, 'ok', `query ${i} never answered`);
          else assert.notEqual(q.answered, null, `query ${i} not settled after a failure`);
        }
        if (failedAt === null) assert.ok(commits.every((c) => c.acked !== null), 'every commit acknowledged once the syncs ended');
        else assert.ok(commits.every((c) => c.acked !== null || c.failed), 'every commit settled after a failure');
        // A failure is final: a later commit fails at once.
        if (failedAt !== null) {
          let failed = false;
          ws.after(() => assert.fail('acknowledged after a failed sync'), () => (failed = true));
          assert.ok(failed);
        }
        ws.close();
      }),
      { numRuns: 300 },
    );
  });

  it('busy while no sync can start; idle is told when the last sync ends with nothing waiting (a held commit may go then)', () => {
    fc.assert(
      fc.property(fc.constantFrom(1, 2, 4), fc.array(step, { minLength: 1, maxLength: 60 }), (maxInFlight, steps) => {
        // Syncs started, in order; a sync that ends settles every one started before it as well.
        const running: { id: number; done: (err: NodeJS.ErrnoException | null) => void }[] = [];
        const unsettled = new Set<number>();
        let ids = 0;
        let idles = 0;
        const ws = new WalSync(wal, true, () => {}, {
          syncDir: (d, done) => done(null),
          maxInFlight,
          sync: (_fd, done) => {
            running.push({ id: ids, done });
            unsettled.add(ids++);
          },
          onIdle: () => idles++,
        });
        for (const st of steps) {
          if (st.t === 'commit') ws.after(() => {}, () => {});
          else if (st.t === 'query') ws.settled(() => {}, () => {});
          else if (running.length > 0) {
            const [s] = running.splice(st.pick % running.length, 1);
            const live = unsettled.has(s.id);
            for (const id of [...unsettled]) if (id <= s.id) unsettled.delete(id);
            const before = { idles, started: ids };
            s.done(null);
            // Told only when this ended the last running sync and no other started in its place.
            const expected = live && unsettled.size === 0 && ids === before.started ? 1 : 0;
            assert.equal(idles - before.idles, expected, 'idle told exactly when the last sync ended with nothing waiting');
          }
          assert.equal(ws.busy, unsettled.size >= maxInFlight, `busy with ${unsettled.size} of ${maxInFlight} running`);
        }
        ws.close();
      }),
      { numRuns: 300 },
    );
  });

  it('close() settles the replies still waiting with one synchronous sync', () => {
    const ws = new WalSync(wal, true, () => {}, { sync: () => {} }); // the async sync never reports
    const got: string[] = [];
    ws.after(() => got.push('a'), () => got.push('a failed'));
    ws.after(() => got.push('b'), () => got.push('b failed'));
    assert.deepEqual(got, []);
    ws.close();
    assert.deepEqual(got, ['a', 'b']);
  });
});
