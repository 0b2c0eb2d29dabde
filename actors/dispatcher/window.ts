// The reorder window of one connection (dispatcher.md §5.4): every frame gets the next `seq`,
// replies may arrive in any order, and they leave strictly in seq order. At most `max` seqs are
// open at once (MaxInFlightPerConnection). Pure: no socket, no timers, no clock of its own.

/** `R`: what a reply is kept as until it is written (the connection keeps reply texts and frames a whole run at once). */
export class ReorderWindow<Req, R = Buffer> {
  readonly max: number;
  /** The next seq to hand out, and the next seq to write. */
  nextSeq = 0;
  nextWrite = 0;
  private readonly ready: (R | null)[];
  private readonly reqs: (Req | undefined)[];
  private readonly deadlines: Float64Array;

  constructor(max: number) {
    this.max = max;
    this.ready = new Array<R | null>(max).fill(null);
    this.reqs = new Array<Req | undefined>(max);
    this.deadlines = new Float64Array(max);
  }

  /** Seqs handed out and not yet written. */
  get inFlight(): number {
    return this.nextSeq - this.nextWrite;
  }

  get full(): boolean {
    return this.nextSeq - this.nextWrite >= this.max;
  }

  /** Opens the next seq for a request waiting on a worker; `deadline` 0: none. */
  open(req: Req, deadline: number): number {
    const seq = this.nextSeq++;
    const idx = seq % this.max;
    this.reqs[idx] = req;
    this.deadlines[idx] = deadline;
    return seq;
  }

  /**
   * Opens the next seq already answered (echo, malformed, BUSY, a synchronous inline handler). It
   * touches only `ready`: a deadline is read for waiting seqs only, and a request is kept only
   * while it waits (answer and takeReady leave `reqs` and `deadlines` alone), so at 1000
   * connections an immediate answer costs one array's cache line, not three.
   */
  openAnswered(reply: R): number {
    const seq = this.nextSeq++;
    this.ready[seq % this.max] = reply;
    return seq;
  }

  /**
   * A seq answered at once while nothing before it is unwritten (`idle`): it is handed out and
   * counted as written together, and the caller writes its reply itself, so the window's arrays
   * are not touched at all (the common case of an inline handler at depth 1).
   */
  pass(): number {
    this.nextWrite++;
    return this.nextSeq++;
  }

  /** Nothing open and nothing unwritten. */
  get idle(): boolean {
    return this.nextWrite === this.nextSeq;
  }

  /** Whether `seq` is open and still waits for its reply. */
  waiting(seq: number): boolean {
    return seq >= this.nextWrite && seq < this.nextSeq && this.ready[seq % this.max] === null;
  }

  request(seq: number): Req | undefined {
    return this.reqs[seq % this.max];
  }

  deadline(seq: number): number {
    return this.deadlines[seq % this.max];
  }

  /** Puts the reply of an open, unanswered seq in place (the caller checked `waiting`); its request is let go. */
  answer(seq: number, reply: R): void {
    const idx = seq % this.max;
    this.ready[idx] = reply;
    this.reqs[idx] = undefined;
  }

  /**
   * Moves every reply that is next in seq order into `out[0]`, `out[1]`... and returns how many
   * (`n`); entries of `out` from `n` on are left as they were. `out` is reused by the caller so the
   * write path allocates nothing and never resizes it.
   */
  takeReady(out: R[]): number {
    const max = this.max;
    let n = 0;
    while (this.nextWrite < this.nextSeq) {
      const idx = this.nextWrite % max;
      const b = this.ready[idx];
      if (b === null) break;
      this.ready[idx] = null;
      this.nextWrite++;
      out[n++] = b;
    }
    return n;
  }
}
