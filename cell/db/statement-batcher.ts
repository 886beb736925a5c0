// Group commit for the hot path: concurrent requests that each need "one statement, one commit"
// share one statement (and so one round trip, one WAL flush) instead of queueing for the pool.
//
// Natural batching, with no timer: a lone request runs at once; while `maxConcurrent` batches are
// in flight, new items wait and go together in the next one. So batches grow exactly when the
// database is the queue, and latency at low load is unchanged. Items are flushed from a
// setImmediate, so everything that arrived in the same event-loop turn shares one statement.
//
// Durability is untouched: every item is acknowledged only after the commit that holds it.
// A failed batch is retried item by item, so one bad item fails alone.

export interface StatementBatcherOptions<I> {
  /** Items per statement at most. */
  maxBatch?: number;
  /** Statements in flight at once (each holds one pool connection). */
  maxConcurrent?: number;
  /**
   * Items with the same conflict key never share a statement (e.g. two changes of one payment:
   * an UPDATE … FROM joining one row twice would apply only one of them).
   */
  conflictKey?: (item: I) => string;
}

interface Pending<I, O> {
  item: I;
  resolve: (out: O) => void;
  reject: (err: unknown) => void;
}

export class StatementBatcher<I, O> {
  private readonly queue: Pending<I, O>[] = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly maxBatch: number;
  private readonly maxConcurrent: number;
  /** Statements run and items carried, for metrics and benchmarks. */
  readonly stats = { statements: 0, items: 0 };

  /** `run` executes one statement for the items and returns one output per item, in order. */
  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly opts: StatementBatcherOptions<I> = {},
  ) {
    this.maxBatch = opts.maxBatch ?? 128;
    this.maxConcurrent = opts.maxConcurrent ?? 4;
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxConcurrent || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.inFlight < this.maxConcurrent && this.queue.length > 0) {
      const batch = this.take();
      this.inFlight++;
      void this.execute(batch).finally(() => {
        this.inFlight--;
        this.schedule();
      });
    }
  }

  /** The next batch: up to maxBatch items in arrival order, skipping (for later) conflicting ones. */
  private take(): Pending<I, O>[] {
    const keyOf = this.opts.conflictKey;
    if (!keyOf) return this.queue.splice(0, this.maxBatch);
    const batch: Pending<I, O>[] = [];
    const keys = new Set<string>();
    const rest: Pending<I, O>[] = [];
    for (const p of this.queue) {
      const key = keyOf(p.item);
      if (batch.length < this.maxBatch && !keys.has(key)) {
        keys.add(key);
        batch.push(p);
      } else {
        rest.push(p);
      }
    }
    this.queue.length = 0;
    this.queue.push(...rest);
    return batch;
  }

  private async execute(batch: Pending<I, O>[]): Promise<void> {
    this.stats.statements++;
    this.stats.items += batch.length;
    try {
      const outs = await this.run(batch.map((p) => p.item));
      if (outs.length !== batch.length) {
        throw new Error(`batch statement returned ${outs.length} results for ${batch.length} items`);
      }
      for (let i = 0; i < batch.length; i++) batch[i]!.resolve(outs[i]!);
    } catch (err) {
      if (batch.length === 1) {
        batch[0]!.reject(err);
        return;
      }
      // Nothing of the failed statement committed: run each item alone, so only a bad one fails.
      await Promise.all(
        batch.map(async (p) => {
          try {
            const [out] = await this.run([p.item]);
            p.resolve(out!);
          } catch (itemErr) {
            p.reject(itemErr);
          }
        }),
      );
    }
  }
}
