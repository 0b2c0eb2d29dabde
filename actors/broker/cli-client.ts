// One client operation per run (broker.md §9): validate the arguments with the broker's own rules,
// send one request to the local broker, print the result. Exit 0 ok, 1 broker error, 3 no message.

import { parseId, validateMessage, validateTimeout, validateTopic } from '../../protocols/broker/limits.ts';
import type { BrokerErrorInfo } from '../../protocols/broker/types.ts';
import { BrokerClient, BrokerError, defaultSocket, type JsonReply } from './client.ts';
import type { ClientFlags } from './cli.ts';

function fail(e: BrokerErrorInfo, flags: ClientFlags): number {
  if (flags.json) process.stdout.write(JSON.stringify({ rid: 0, status: e.code, description: e.description }) + '\n');
  else process.stderr.write(`${new BrokerError(e.code, e.description).message}\n`);
  return 1;
}

export async function runClientCommand(op: string, args: string[], flags: ClientFlags): Promise<number> {
  let id = 0;
  if (op !== 'create') {
    const parsed = parseId(args[0]);
    if (typeof parsed !== 'number') return fail(parsed, flags);
    id = parsed;
  }
  let body: Parameters<BrokerClient['call']>[0];
  switch (op) {
    case 'create':
      body = { type: 'create' };
      break;
    case 'publish': {
      const bad = validateTopic(args[2]) ?? validateMessage(args[1]);
      if (bad) return fail(bad, flags);
      body = { type: 'publish', id, msg: args[1], topic: args[2] };
      break;
    }
    case 'subscribe':
    case 'unsubscribe': {
      const bad = validateTopic(args[1]);
      if (bad) return fail(bad, flags);
      body = { type: op, id, topic: args[1] };
      break;
    }
    case 'recv': {
      let timeoutMs: number | undefined;
      if (flags.timeout !== undefined) {
        timeoutMs = /^[0-9]+$/.test(flags.timeout) ? Number(flags.timeout) : NaN;
        const bad = validateTimeout(timeoutMs);
        if (bad) return fail({ code: bad.code, description: `--timeout: ${bad.description}` }, flags);
      }
      body = timeoutMs === undefined ? { type: 'recv', id, wait: flags.wait === true } : { type: 'recv', id, wait: flags.wait === true, timeoutMs };
      break;
    }
    default:
      body = { type: 'destroy', id };
  }
  let client: BrokerClient;
  try {
    client = await BrokerClient.connect({ socket: flags.socket ?? defaultSocket() });
  } catch (e) {
    return fail(e as BrokerError, flags);
  }
  const reply = await client.call(body);
  client.close();
  return print(op, reply, flags);
}

function print(op: string, r: JsonReply, flags: ClientFlags): number {
  if (flags.json) process.stdout.write(JSON.stringify(r) + '\n');
  if (r.status < 0) {
    if (!flags.json) process.stderr.write(`${new BrokerError(r.status, r.description).message}\n`);
    return 1;
  }
  if (op === 'recv' && r.status === 0) return 3;
  if (flags.json) return 0;
  let out: string;
  switch (op) {
    case 'create':
    case 'publish':
      out = String(r.status);
      break;
    case 'subscribe':
      out = r.status === 1 ? 'ok (already subscribed)' : 'ok';
      break;
    case 'unsubscribe':
      out = r.status === 1 ? 'ok (not subscribed)' : 'ok';
      break;
    case 'recv':
      out = `${r.topic} ${r.msg}`;
      break;
    default:
      out = 'ok';
  }
  process.stdout.write(out + '\n');
  return 0;
}
