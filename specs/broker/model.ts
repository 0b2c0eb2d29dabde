// The reference model of broker.md §2 for the model-based test: ids, topic subscriber sets and
// per-id FIFO queues, in a few lines of plain code. It predicts every reply status.
export interface Expected {
  status: number;
  topic?: string;
  msg?: string;
}

export class BrokerModel {
  next = 1;
  readonly ids = new Map<number, { topics: Set<string>; queue: { topic: string; msg: string }[] }>();
  readonly subs = new Map<string, Set<number>>();

  create(): Expected {
    const id = this.next++;
    this.ids.set(id, { topics: new Set(), queue: [] });
    return { status: id };
  }

  publish(id: number, msg: string, topic: string): Expected {
    if (!this.ids.has(id)) return { status: -1 };
    const set = this.subs.get(topic) ?? new Set();
    for (const s of set) this.ids.get(s)!.queue.push({ topic, msg });
    return { status: set.size };
  }

  subscribe(id: number, topic: string): Expected {
    const c = this.ids.get(id);
    if (!c) return { status: -1 };
    if (c.topics.has(topic)) return { status: 1 };
    c.topics.add(topic);
    if (!this.subs.has(topic)) this.subs.set(topic, new Set());
    this.subs.get(topic)!.add(id);
    return { status: 0 };
  }

  unsubscribe(id: number, topic: string): Expected {
    const c = this.ids.get(id);
    if (!c) return { status: -1 };
    if (!c.topics.has(topic)) return { status: 1 };
    c.topics.delete(topic);
    this.subs.get(topic)!.delete(id);
    c.queue = c.queue.filter((m) => m.topic !== topic);
    return { status: 0 };
  }

  recv(id: number): Expected {
    const c = this.ids.get(id);
    if (!c) return { status: -1 };
    const m = c.queue.shift();
    return m ? { status: 1, ...m } : { status: 0 };
  }

  destroy(id: number): Expected {
    const c = this.ids.get(id);
    if (!c) return { status: -1 };
    for (const t of c.topics) this.subs.get(t)!.delete(id);
    this.ids.delete(id);
    return { status: 0 };
  }
}
