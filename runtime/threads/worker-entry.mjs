// Entry of every worker thread (plain JavaScript: it runs before any TypeScript of the thread).
// The kernel starts loading at once. The actor modules start loading together with it, not after
// the pool asks for them: the pool's `preload` then awaits these same imports (one module map),
// and reports their errors. A prestarted thread (runtime/threads/prestart.ts) gets its WorkerInit
// later, on its own port; until then it only loads the kernel.
// (The compile cache needs nothing here: Node turns it on in every thread from NODE_COMPILE_CACHE.)
import { receiveMessageOnPort, workerData } from 'node:worker_threads';

const kernel = import('./worker.ts');
let init = workerData;
if (workerData?.initPort) {
  const port = workerData.initPort;
  // A hint of the actor modules it will likely get (prestart.ts hintPreload): start on them.
  const onHint = (m) => {
    for (const u of m.modules) import(u).catch(() => {});
  };
  // What arrived while the thread booted (a run from a cached topology names its modules at once):
  // taken now, so that the thread starts on those modules rather than on a guess.
  let hinted = false;
  let early = null;
  for (let r = receiveMessageOnPort(port); r !== undefined; r = receiveMessageOnPort(port)) {
    if (r.message?.t === 'preload-hint') {
      hinted = true;
      onHint(r.message);
    } else {
      early = r.message;
      break;
    }
  }
  if (!hinted && early === null) {
    // No hint yet: what nearly every subsystem's actors import (runtime/index.ts: behaviours,
    // xstate machines, errors, supervision; runtime/io: listeners and connections).
    import('../index.ts').catch(() => {});
    import('../io/index.ts').catch(() => {});
  }
  init =
    early ??
    (await new Promise((resolve) => {
      const onMessage = (m) => {
        if (m?.t === 'preload-hint') onHint(m);
        else {
          port.off('message', onMessage);
          resolve(m);
        }
      };
      port.on('message', onMessage);
    }));
  port.close();
}
for (const m of init?.preload ?? []) import(m).catch(() => {});
(await kernel).startWorker(init);
