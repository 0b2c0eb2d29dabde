// Stand-alone entry for the message CLI tests when bin/actor-runtime.ts does not register it.
import { Command } from 'commander';
import { registerMessageCommand } from '../../runtime/cli/message.ts';

const program = new Command('actor-runtime');
registerMessageCommand(program);
await program.parseAsync(process.argv);
