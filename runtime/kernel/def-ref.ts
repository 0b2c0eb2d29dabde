// An actor definition named by its module and name, without importing that module: enough to
// spawn the actor on another thread (a cross-thread spawn carries only the module and the name;
// the child's thread imports the module and finds the real definition). Lets a parent on the
// main thread spawn children whose code (and its imports) only their own thread loads, which
// keeps that code off the main thread's start-up. Spawned on the parent's own thread, the kernel
// loads the real definition the same way (mail waits in a placeholder meanwhile).
// Not registered: the registry keeps only real definitions.

import type { ActorDef, DefOptions } from '../actor/behavior.ts';

/**
 * `module`: the defining module's URL (`new URL('./x.ts', import.meta.url).href`); `name`: the name
 * given to defineActor there; `options`: the same `wire` as the real definition (the sender's ref
 * encodes mail by it), the rest is read from the real one on the child's thread.
 */
export function defRef<M, P = void>(module: string, name: string, options: Pick<DefOptions, 'wire'> = {}): ActorDef<M, P> {
  return {
    id: `${module}#${name}`,
    module,
    name,
    options,
    create() {
      throw new Error(`${name} (${module}) is a reference: its own module defines it`);
    },
  };
}
