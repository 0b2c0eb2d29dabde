#!/usr/bin/env node
// A standalone entry with only the lottery commands (`node actors/lottery/main.ts lottery …`):
// what `lottery run` spawns for the server and agency processes, independent of which other
// subsystems the full `actor-runtime` executable carries.
// First: a SIGINT/SIGTERM during loading is kept for the command's handler.
import '../../runtime/io/early-signals.ts';
import { Command } from 'commander';
import { registerLotteryCommands } from './cli.ts';

const program = new Command('actor-runtime').description('actor-runtime (lottery commands)');
registerLotteryCommands(program);
await program.parseAsync(process.argv);
