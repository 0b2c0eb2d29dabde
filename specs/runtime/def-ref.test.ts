// defRef (runtime/kernel/def-ref.ts): a parent spawns a child named by module and name without
// importing its module (the dispatcher's supervisor spawns its I/O actor this way, so the main
// thread's start-up loads none of the I/O code). On a worker thread only that thread imports the
// module; on the parent's own thread the kernel imports it on first use. A reference is never run.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ActorSystem } from '../../runtime/index.ts';
import { findDef } from '../../runtime/actor/behavior.ts';
import { defRef } from '../../runtime/kernel/def-ref.ts';

const MODULE = new URL('./fixtures/by-reference.ts', import.meta.url).href;
const Doubler = defRef<number, { add: number }>(MODULE, 'Doubler');
const systems: ActorSystem[] = [];
after(async () => {
  await Promise.all(systems.map((s) => s.stop(2000)));
});

test('a child spawned by reference on a worker thread runs its real definition; this thread never imports it', async () => {
  const sys = await ActorSystem.start({ threads: 1, logLevel: 'silent' });
  systems.push(sys);
  const ref = sys.spawn(Doubler, { name: 'd', props: { add: 1 }, thread: 0 });
  assert.equal(await ref.ask(20, { timeoutMs: 10_000 }), 41);
  assert.equal(findDef(Doubler.id), undefined, 'the main thread did not load the module');
});

test('spawned by reference on its parent thread, the kernel imports the module first (mail waits)', async () => {
  const sys = await ActorSystem.start({ threads: 0, logLevel: 'silent' });
  systems.push(sys);
  const ref = sys.spawn(Doubler, { name: 'd', props: { add: 2 }, thread: 'main' });
  assert.equal(await ref.ask(5, { timeoutMs: 10_000 }), 12);
  const real = findDef(Doubler.id);
  assert.ok(real && real !== Doubler, 'the real definition is registered, not the reference');
});

test('a reference is not a definition: it is not registered and refuses to run', () => {
  const r = defRef(MODULE, 'Nothing');
  assert.equal(findDef(r.id), undefined);
  assert.throws(() => r.create(undefined, {} as never), /Nothing .* is a reference/);
});

test('a reference to a name its module does not define fails that spawn only', async () => {
  const sys = await ActorSystem.start({ threads: 1, logLevel: 'silent' });
  systems.push(sys);
  const bad = sys.spawn(defRef<number>(MODULE, 'Missing'), { name: 'm', props: undefined, thread: 0 });
  await assert.rejects(bad.ask(1, { timeoutMs: 10_000 }), (e: Error) => /not found|dead|definition/i.test(e.message));
  const ok = sys.spawn(Doubler, { name: 'ok', props: { add: 0 }, thread: 0 });
  assert.equal(await ok.ask(3, { timeoutMs: 10_000 }), 6);
});

test('spawned by reference on its parent thread, the module loads after the spawning turn: a listener started in that turn binds first', async () => {
  const { default: net } = await import('node:net');
  const sys = await ActorSystem.start({ threads: 0, logLevel: 'silent' });
  systems.push(sys);
  const Echo = defRef<string>(new URL('./fixtures/by-reference-late.ts', import.meta.url).href, 'Echo');
  const ref = sys.spawn(Echo, { name: 'late', props: undefined, thread: 'main' });
  // The same turn: a bind (completed in a later tick, after this turn's microtasks).
  const server = net.createServer();
  const loadedWhenBound = await new Promise<boolean>((resolve) => server.listen(0, '127.0.0.1', () => resolve(findDef(Echo.id) !== undefined)));
  server.close();
  assert.equal(loadedWhenBound, false, 'the module was loaded before the listener bound');
  assert.equal(await ref.ask('x', { timeoutMs: 10_000 }), 'x', 'mail sent meanwhile waits for the real actor');
});
