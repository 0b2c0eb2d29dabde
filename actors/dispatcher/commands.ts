// `actor-runtime dispatcher …`: the dispatcher's tools. A light module (commander types only):
// each action imports what it uses, so `--help` and other commands do not load the dispatcher.
import type { Command } from 'commander';
import { CliError } from '../../runtime/cli/errors.ts';

export function registerDispatcherCommands(program: Command): void {
  const d = program.command('dispatcher').description('dispatcher tools');
  d.command('default-config')
    .description("write the original's default config.json (and its TuxCliSetup) into a folder; never overwrites")
    .argument('[dir]', 'folder', '.')
    .action(async (dir: string) => {
      const [{ existsSync, mkdirSync, writeFileSync }, { join, resolve }, { defaultConfigText }] = await Promise.all([
        import('node:fs'),
        import('node:path'),
        import('./config/index.ts'),
      ]);
      const cfg = join(resolve(dir), 'config.json');
      const setup = join(resolve(dir), 'TuxCliSetup');
      for (const f of [cfg, setup]) if (existsSync(f)) throw new CliError(`${f} exists; not overwritten`, 2);
      mkdirSync(resolve(dir), { recursive: true });
      writeFileSync(cfg, defaultConfigText(resolve(dir)), { flag: 'wx' });
      writeFileSync(setup, '{\n\t"max_tux_cli" : 4,\n\t"min_tux_cli" : 2,\n\t"xml_n_term" : 1\n}\n', { flag: 'wx' });
      process.stdout.write(`wrote ${cfg} and ${setup}\n`);
    });
}
