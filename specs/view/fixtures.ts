// Actors for the live view's tests, in their own module: worker threads import it by URL.
import { defineActor } from '../../runtime/index.ts';

export type Msg = { type: 'n' };
export const Quiet = defineActor<Msg, void>(import.meta.url, 'Quiet', () => ({ receive() {} }));
/** An actor whose details are about `kb` kilobytes. */
export const Big = defineActor<Msg, { kb: number }>(import.meta.url, 'Big', (p) => {
  const blob = 'x'.repeat(p.kb * 1024);
  return { receive() {}, inspect: () => ({ blob }) };
});
