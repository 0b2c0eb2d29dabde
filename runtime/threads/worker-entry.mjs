// Entry of every worker thread (plain JavaScript: it runs before any TypeScript of the thread).
// The kernel starts loading at once. The actor modules start loading together with it, not after
// the pool asks for them: the pool's `preload` then awaits these same imports (one module map),
// and reports their errors. A prestarted thread (runtime/threads/prestart.ts) gets its WorkerInit
// later, on its own port; until then it only loads the kernel.
// (The compile cache needs nothing here: Node turns it on in every thread from NODE_COMPILE_CACHE.)
import { workerData } from 'node:worker_threads';

const kernel = import('./worker.ts');
let init = workerData;
if (workerData?.initPort) {
  // While it waits: what nearly every subsystem's actors import (runtime/index.ts: behaviours,
  // xstate machines, errors, supervision; runtime/io: listeners and connections).
  import('../index.ts').catch(() => {});
  import('../io/index.ts').catch(() => {});
  const port = workerData.initPort;
  init = await new Promise((resolve) => {
    const onMessage = (m) => {
      // A hint of the actor modules it will likely get (prestart.ts hintPreload): start on them.
      if (m?.t === 'preload-hint') for (const u of m.modules) import(u).catch(() => {});
      else {
        port.off('message', onMessage);
        resolve(m);
      }
    };
    port.on('message', onMessage);
  });
  port.close();
}
for (const m of init?.preload ?? []) import(m).catch(() => {});
(await kernel).startWorker(init);
