// `actor-runtime broker …` (broker.md §9): the six client operations, one request per run, and
// `broker server` / `broker local` to start the two nodes. Actions import their code lazily so a
// client run loads only the client (node:net and the codecs).

import type { Command } from 'commander';

export interface ClientFlags {
  json?: boolean;
  socket?: string;
  wait?: boolean;
  timeout?: string;
}

export function registerBrokerCommands(program: Command): void {
  const b = program.command('broker').description('the pub/sub broker: client operations, the server node and the local broker (see actors/broker/README.md)');
  const client = (name: string, args: string, description: string): Command =>
    b.command(`${name}${args}`)
      .description(description)
      .option('--json', 'print the whole reply object')
      .option('--socket <path>', 'the local broker socket (default $BROKER_LOCAL_SOCKET or ./data/lb/lb.sock)');
  const run = async (op: string, args: string[], flags: ClientFlags): Promise<void> => {
    const { runClientCommand } = await import('./cli-client.ts');
    process.exitCode = await runClientCommand(op, args, flags);
  };
  client('create', '', 'create a new id (prints it)').action((o: ClientFlags) => run('create', [], o));
  client('publish', ' <id> <message> <topic>', 'publish a message (prints the number of subscribers reached)').action((id, msg, topic, o) => run('publish', [id, msg, topic], o));
  client('subscribe', ' <id> <topic>', 'subscribe an id to a topic').action((id, topic, o) => run('subscribe', [id, topic], o));
  client('unsubscribe', ' <id> <topic>', 'unsubscribe an id from a topic (drops its pending messages of that topic)').action((id, topic, o) => run('unsubscribe', [id, topic], o));
  client('recv', ' <id>', 'receive the next message (exit 3 when there is none)')
    .option('--wait', 'block until a message arrives')
    .option('--timeout <ms>', 'block at most this long')
    .action((id, o) => run('recv', [id], o));
  client('destroy', ' <id>', 'destroy an id, its subscriptions and pending messages').action((id, o) => run('destroy', [id], o));

  // the link node of either side: name, secret file, TLS (wss://)
  const linkFlags = (c: Command, side: 'server' | 'local'): Command =>
    c.option('--node-name <name>', `this node's name (default ${side === 'server' ? 'broker-server' : 'lb-<lbId>'})`)
      .option('--secret-file <file>', 'file holding the node link secret (default $ACTOR_RUNTIME_NODE_SECRET)')
      .option('--tls-cert <file>', side === 'server' ? 'certificate for wss:// (PEM)' : 'client certificate (PEM) for a server that requires one')
      .option('--tls-key <file>', 'its private key (PEM)')
      .option('--tls-ca <file>', side === 'server' ? 'CA that client certificates must chain to' : 'CA that the server certificate must chain to (wss://)');

  linkFlags(b.command('server'), 'server')
    .description('run the broker server node')
    .option('--listen <address>', 'host:port or ws(s)://host:port for local broker links', '127.0.0.1:7600')
    .option('--require-client-cert', 'wss://: local brokers must present a certificate signed by --tls-ca')
    .option('--data <dir>', 'store folder', './data/broker')
    .option('--durability <d>', 'full (sync every group commit), normal or off (memory only)', 'full')
    .option('--default-topics <list>', 'comma-separated topics created on first start', 'general')
    .option('--push-window <n>', 'unconsumed pushes in flight per id', '256')
    .action(async (o: Parameters<typeof import('./cli-nodes.ts').runServerCommand>[0]) => {
      const { runServerCommand } = await import('./cli-nodes.ts');
      await runServerCommand(o);
    });

  linkFlags(b.command('local'), 'local')
    .description('run the local broker node of this machine')
    .option('--server <url>', 'the broker server (ws:// or wss://)', 'ws://127.0.0.1:7600')
    .option('--server-node <name>', "the server's node name", 'broker-server')
    .option('--data <dir>', 'id map folder', './data/lb')
    .option('--socket <path>', 'client socket (default <data>/lb.sock)')
    .option('--request-timeout <ms>', 'how long a request may wait for the server', '10000')
    .option('--ws-listen <host:port>', 'also serve browsers and remote clients over ws (needs BROKER_SECRET)')
    .action(async (o: Parameters<typeof import('./cli-nodes.ts').runLocalCommand>[0]) => {
      const { runLocalCommand } = await import('./cli-nodes.ts');
      await runLocalCommand(o);
    });
}
