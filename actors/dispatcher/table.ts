// The live connection table (dispatcher.md §5.1-§5.3): exactly MaxConnections slots, a
// generation per slot, least-loaded group assignment and the group loads. Pure bookkeeping: the
// Acceptor owns it; the dispatcher's other actors on the same I/O thread read their own row.

export type SlotStatus = 'free' | 'idle' | 'busy' | 'draining' | 'closing';

/** One slot's row. Rows are reused; `extra` holds thread-local handles (socket, actor ref). */
export interface Row<X = unknown> {
  slot: number;
  gen: number;
  live: boolean;
  group: number;
  status: SlotStatus;
  peer: string;
  port: number;
  entry: number;
  lastOp: number;
  numOps: number;
  inFlight: number;
  extra: X | null;
}

export interface InspectRow {
  slot: number;
  gen: number;
  group: number;
  status: SlotStatus;
  peer: string;
  entry: string;
  lastOp: string | null;
  numOps: number;
  inFlight: number;
}

export class ConnTable<X = unknown> {
  readonly size: number;
  readonly groups: number;
  readonly rows: Row<X>[];
  readonly loads: number[];
  private live = 0;
  /** Every slot below `hint` is live (so the lowest free slot is at or above it). */
  private hint = 0;

  constructor(size: number, groups: number, gens?: readonly number[]) {
    if (!(size >= 1) || !(groups >= 1)) throw new RangeError('a table needs at least one slot and one group');
    this.size = size;
    this.groups = groups;
    this.loads = new Array<number>(groups).fill(0);
    this.rows = Array.from({ length: size }, (_, slot) => ({
      slot,
      gen: gens?.[slot] ?? 0,
      live: false,
      group: -1,
      status: 'free' as SlotStatus,
      peer: '',
      port: 0,
      entry: 0,
      lastOp: 0,
      numOps: 0,
      inFlight: 0,
      extra: null,
    }));
  }

  get liveCount(): number {
    return this.live;
  }

  get full(): boolean {
    return this.live >= this.size;
  }

  /** The least-loaded group; ties go to the lowest index (§5.3). */
  pickGroup(): number {
    const loads = this.loads;
    let best = 0;
    for (let g = 1; g < loads.length; g++) if (loads[g] < loads[best]) best = g;
    return best;
  }

  /** The live slot holding peer ip:port, or -1. Scans every slot (the original skipped the last). */
  findPeer(ip: string, port: number): number {
    for (let s = 0; s < this.size; s++) {
      const r = this.rows[s];
      if (r.live && r.port === port && r.peer === ip) return s;
    }
    return -1;
  }

  /** Fills the lowest free slot in the least-loaded group; null when the table is full. */
  register(ip: string, port: number, now: number, extra: X | null = null): Row<X> | null {
    if (this.live >= this.size) return null;
    let s = this.hint;
    while (this.rows[s].live) s++;
    this.hint = s + 1;
    const group = this.pickGroup();
    const r = this.rows[s];
    r.live = true;
    r.group = group;
    r.status = 'idle';
    r.peer = ip;
    r.port = port;
    r.entry = now;
    r.lastOp = 0;
    r.numOps = 0;
    r.inFlight = 0;
    r.extra = extra;
    this.loads[group]++;
    this.live++;
    return r;
  }

  /** Frees a slot if it still holds generation `gen`: clears the row, `gen`++, load--. */
  free(slot: number, gen: number): boolean {
    const r = this.rows[slot];
    if (r === undefined || !r.live || r.gen !== gen) return false;
    this.loads[r.group]--;
    this.live--;
    r.live = false;
    r.gen++;
    r.group = -1;
    r.status = 'free';
    r.peer = '';
    r.port = 0;
    r.entry = 0;
    r.lastOp = 0;
    r.numOps = 0;
    r.inFlight = 0;
    r.extra = null;
    if (slot < this.hint) this.hint = slot;
    return true;
  }

  /** The generation check of §5.5: the row iff the slot is live and still has `gen`. */
  route(slot: number, gen: number): Row<X> | null {
    const r = this.rows[slot];
    return r !== undefined && r.live && r.gen === gen ? r : null;
  }

  /** Live rows, for inspection. */
  inspect(): InspectRow[] {
    const out: InspectRow[] = [];
    for (const r of this.rows) {
      if (!r.live) continue;
      out.push({
        slot: r.slot,
        gen: r.gen,
        group: r.group,
        status: r.status,
        peer: r.peer.includes(':') ? `[${r.peer}]:${r.port}` : `${r.peer}:${r.port}`,
        entry: new Date(r.entry).toISOString(),
        lastOp: r.lastOp ? new Date(r.lastOp).toISOString() : null,
        numOps: r.numOps,
        inFlight: r.inFlight,
      });
    }
    return out;
  }

  /** Current generations (to carry over to a fresh table so that a generation never repeats). */
  generations(): number[] {
    return this.rows.map((r) => (r.live ? r.gen + 1 : r.gen));
  }
}
