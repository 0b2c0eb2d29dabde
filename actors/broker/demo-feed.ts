// The demo's broker actors: a publisher that sends a progress line (uptime, actors alive) to a
// topic on a timer, and a subscriber that logs each message it receives, both through the client
// API of the first local broker, as any program would.

import { defineActor } from '../../runtime/actor/behavior.ts';
import { BrokerClient } from './client.ts';

type FeedMsg = { t: 'tick' };

export interface FeedProps {
  socket: string;
  topic: string;
  everyMs: number;
  role: 'publisher' | 'subscriber';
}

export const BrokerDemoFeed = defineActor<FeedMsg, FeedProps>(import.meta.url, 'BrokerDemoFeed', (props, ctx) => {
  let client: BrokerClient | null = null;
  let id = 0;
  let n = 0;
  const t0 = Date.now();
  return {
    async started() {
      client = await BrokerClient.connect({ socket: props.socket });
      id = await client.create();
      if (props.role === 'subscriber') await client.subscribe(id, props.topic);
      ctx.timers.every('tick', props.role === 'publisher' ? props.everyMs : 250, { t: 'tick' });
    },
    async receive() {
      if (!client) return;
      // the local broker stops before the actors during a shutdown: a failed call is not a crash
      try {
        await turn(client);
      } catch (e) {
        ctx.log.debug('broker demo call failed', { err: (e as Error).message });
      }
    },
    stopped() {
      client?.close();
    },
  };
  async function turn(client: BrokerClient): Promise<void> {
      if (props.role === 'publisher') {
        const reached = await client.publish(id, `progress ${++n}: up ${Math.round((Date.now() - t0) / 1000)} s`, props.topic);
        ctx.log.debug('published', { reached });
        return;
      }
      for (let m = await client.recv(id); m; m = await client.recv(id)) ctx.log.info('broker demo received', { topic: m.topic, text: m.msg, seq: m.seq });
  }
});
