// Alternated pairs of a baseline and our figure, one ratio sample per pair: the baseline goes
// first in even pairs and second in odd ones, so a drift over the run (the heap, the JIT, load
// elsewhere on the machine) falls on both sides alike instead of always on the one measured last.

import type { ScenarioResult } from './types.ts';

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

/** The middle sample; of an even count the upper of the two middles (what these scenarios have always reported). */
export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A scenario row from rates measured in pairs: the medians of each side, and one ratio per pair. */
export function pairedRow(pairs: { base: readonly number[]; ours: readonly number[] }, row: Omit<ScenarioResult, 'value' | 'baseline' | 'ratios'>): ScenarioResult {
  return { ...row, value: median(pairs.ours), baseline: median(pairs.base), ratios: pairs.ours.map((o, i) => o / pairs.base[i]) };
}
