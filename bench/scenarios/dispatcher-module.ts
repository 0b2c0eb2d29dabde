// The dispatcher benchmark with the echo handler off the I/O thread (`module` placement: a
// handler thread per worker), reported as its own scenario beside the inline one (dispatcher.ts).
import { runPlacement } from './dispatcher.ts';
import type { ScenarioOptions, ScenarioResult } from './types.ts';

export function run(o: ScenarioOptions): Promise<ScenarioResult[]> {
  return runPlacement(o, 'thread');
}
