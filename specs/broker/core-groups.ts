// Driving the broker server's core (actors/broker/server/core.ts) in tests without a link: a group
// of requests from local broker `lb1`, as one turn of the server would apply it.

import type { BrokerCore, LbSink } from '../../actors/broker/server/core.ts';
import type { BrokerRequest } from '../../protocols/broker/index.ts';

/** Applies `reqs` from lb1 as one group (each request, then the flush); returns the replies the group added to `sink.replies`. */
export function group<R>(core: BrokerCore, sink: LbSink & { replies: R[] }, reqs: BrokerRequest[]): R[] {
  const from = sink.replies.length;
  for (const r of reqs) core.request('lb1', r, sink);
  core.flush();
  return sink.replies.slice(from);
}

/** Two new ids on lb1 (rids 1 to 3): `a` to publish, and `b` subscribed to topic `t`. */
export function publisherAndSubscriber<R>(core: BrokerCore, sink: LbSink & { replies: R[] }): { a: number; b: number } {
  const [a, b] = group(core, sink, [{ type: 'create', rid: 1 }, { type: 'create', rid: 2 }]).map((r) => (r as { id: number }).id);
  group(core, sink, [{ type: 'subscribe', rid: 3, id: b, topic: 't' }]);
  return { a, b };
}
