// One run of one scenario, in a process of its own: the runner (run.ts) forks this for every
// scenario of every round, as JMH forks a JVM per benchmark. A scenario measured in the runner's
// own process found it in whatever state the scenarios before it had left (a grown heap, other
// code hot): with rounds, lottery-e2e's in-process baseline read ~150 ms instead of ~125-135 and the
// kernel's same-thread tell 0.78x instead of ~1.07x. The results go back over IPC with the
// structured clone (a failed figure is Infinity, which JSON would turn into null).
//   node bench/run-scenario.ts <scenario> quick|full <round>
import { scenarios } from './scenarios/index.ts';

const [name, mode, round] = process.argv.slice(2);
const load = scenarios[name];
if (!load || (mode !== 'quick' && mode !== 'full') || !process.send) {
  process.stderr.write(`usage: forked by bench/run.ts with <scenario> quick|full <round> (known: ${Object.keys(scenarios).join(', ')})\n`);
  process.exit(2);
}
const { run } = await load();
const results = await run({ quick: mode === 'quick', round: Number(round) || 0 });
process.send({ t: 'results', results }, () => process.exit(0));
