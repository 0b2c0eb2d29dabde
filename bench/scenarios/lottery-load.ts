// Load generator of the lottery benchmark, in its own process (performance.md: load generators
// never run inside the system under test): five agencies as actors of a small system. It starts,
// says `ready`, waits for `go`, runs the agencies over TCP and reports `done` with their outcome.
import { ActorSystem } from '../../runtime/index.ts';
import { AgencyGroup, groupOutcome } from '../../actors/lottery/agencies.ts';
import type { ClientSettings } from '../../actors/lottery/config.ts';

interface Go {
  t: 'go';
  clients: ClientSettings[];
}

const system = await ActorSystem.start({ name: 'lottery-load', threads: 0, logLevel: 'warn' });
process.send!({ t: 'ready' });
process.on('message', async (m: Go) => {
  if (m.t !== 'go') return;
  const group = system.spawn(AgencyGroup, { name: 'agencies', thread: 'main', props: { clients: m.clients, placement: 'main', progress: 'none' } });
  const c0 = process.cpuUsage();
  const outcome = await groupOutcome(group.path);
  const c1 = process.cpuUsage(c0);
  process.send!({ t: 'done', outcome, cpu: Math.round((c1.user + c1.system) / 1000) }, () => {
    void system.stop(2000).then(() => process.exit(0));
  });
});
