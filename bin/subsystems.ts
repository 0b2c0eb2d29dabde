// The subsystems this executable carries. Each registers its topology sections, actor modules,
// CLI commands and file adopters with the kernel; the kernel never imports them itself.
import { registerSubsystem, type Subsystem } from '../runtime/index.ts';
import { demoSubsystem } from '../actors/demo/index.ts';
import { dispatcherSubsystem } from '../actors/dispatcher/index.ts';
import { lotterySubsystem } from '../actors/lottery/index.ts';
import { eventDispatcherSubsystem } from '../actors/eventdispatcher/index.ts';
import { brokerSubsystem } from '../actors/broker/index.ts';

const all: Subsystem[] = [demoSubsystem, dispatcherSubsystem, lotterySubsystem, eventDispatcherSubsystem];

for (const s of all) registerSubsystem(s);
registerSubsystem(brokerSubsystem);
