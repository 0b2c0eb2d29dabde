// The example topology (topologies/dispatcher.yaml) loads, and runs when its ports are free: one
// request to each of its module, process and legacy-tx dispatchers. SIGUSR1 drains like SIGTERM.
import assert from 'node:assert/strict';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { dispatcherSubsystem, resolveSection } from '../../actors/dispatcher/index.ts';
import { registerSubsystem, type Subsystem } from '../../runtime/kernel/subsystem.ts';
import { loadTopology } from '../../runtime/kernel/topology.ts';
import type { SectionConfig } from '../../actors/dispatcher/config/index.ts';
import { Client, runCli, running, tx } from './helpers.ts';

registerSubsystem(dispatcherSubsystem as Subsystem);
const FILE = fileURLToPath(new URL('../../topologies/dispatcher.yaml', import.meta.url));

function free(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

describe('example topology', () => {
  it('validates and resolves three dispatchers, one per handler kind', () => {
    const topo = loadTopology(FILE);
    const section = topo.sections.find((s) => s.section.key === 'dispatchers');
    assert.ok(section);
    const cfgs = resolveSection(section.config as SectionConfig, topo.file, topo.dir);
    assert.deepEqual(
      cfgs.map((c) => [c.Name, c.Handler.Kind, c.Framing, c.Protocol]),
      [
        ['echo', 'module', 'length32', 'json'],
        ['upper', 'process', 'ndjson', 'legacy-tx'],
        ['legacy', 'legacy-tx', 'legacy', 'legacy-tx'],
      ],
    );
  });

  it('runs: each dispatcher answers; SIGUSR1 drains and exits 0', async (t) => {
    const ports = [9100, 9101, 9102];
    if (!(await Promise.all(ports.map(free))).every(Boolean)) return t.skip('ports 9100-9102 are in use');
    const cli = runCli(['run', FILE, '--no-control']);
    await running(cli);
    const echo = await Client.connect(9100, 'length32');
    echo.send('{"hello":"world"}');
    const upper = await Client.connect(9101, 'ndjson');
    upper.send(tx('U', 'make me loud'));
    const legacy = await Client.connect(9102, 'legacy');
    legacy.send(tx('L', 'classic'));
    assert.deepEqual(JSON.parse((await echo.reply(1))[0]).echo, { hello: 'world' });
    assert.equal(JSON.parse((await upper.reply(1, 5000))[0]).MSG, 'MAKE ME LOUD OK - UPPER');
    assert.equal(JSON.parse((await legacy.reply(1, 5000))[0]).MSG, 'classic OK - TX DONE!! ');
    cli.child.kill('SIGUSR1');
    await Promise.all([echo.waitEnd(), upper.waitEnd(), legacy.waitEnd()]);
    assert.equal((await cli.exited).code, 0, cli.stderr());
  });
});
