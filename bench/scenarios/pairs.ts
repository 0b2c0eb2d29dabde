// Alternated pairs of a baseline and our figure, one ratio sample per pair: the baseline goes
// first in even pairs and second in odd ones, so a drift over the run (the heap, the JIT, load
// elsewhere on the machine) falls on both sides alike instead of always on the one measured last.

export async function alternatedPairs<B, O>(pairs: number, baseline: () => B | Promise<B>, ours: () => O | Promise<O>): Promise<{ base: B[]; ours: O[] }> {
  const base: B[] = [];
  const mine: O[] = [];
  for (let i = 0; i < pairs; i++) {
    if (i % 2 === 0) base.push(await baseline());
    mine.push(await ours());
    if (i % 2 === 1) base.push(await baseline());
  }
  return { base, ours: mine };
}
