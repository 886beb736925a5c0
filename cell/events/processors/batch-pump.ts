// Natural batching of a message stream: whatever has arrived while the previous batch was being
// applied becomes the next batch (up to maxBatch), so a busy consumer commits many messages at
// once while a quiet one still applies each message as soon as it comes (a batch of one).
// One batch is applied at a time; reading pauses while maxBatch messages wait, which keeps the
// source from pulling more (nats.js consume() only asks the server for more as it is read).

export interface BatchPumpOptions<T> {
  maxBatch: number;
  /** Applies one batch; the next waits for it. Expected to settle every item itself. */
  apply(batch: T[]): Promise<void>;
  /** An apply that threw anyway (its items are left as they were). */
  onError(err: unknown, batch: T[]): void;
}

/** Reads `source` to its end and applies it in batches; resolves once the last batch is applied. */
export async function pumpInBatches<T>(source: AsyncIterable<T>, opts: BatchPumpOptions<T>): Promise<void> {
  const waiting: T[] = [];
  let ended = false;
  let wakeApplier: (() => void) | undefined;
  let wakeReader: (() => void) | undefined;

  const applier = (async () => {
    for (;;) {
      if (waiting.length === 0) {
        if (ended) return;
        await new Promise<void>((r) => {
          wakeApplier = r;
        });
        // The messages of one socket read reach the iterator together but come out of it over
        // the following microtasks: let them all in before taking the batch.
        await new Promise<void>((r) => setImmediate(r));
        continue;
      }
      const batch = waiting.splice(0, opts.maxBatch);
      wakeReader?.();
      wakeReader = undefined;
      try {
        await opts.apply(batch);
      } catch (err) {
        opts.onError(err, batch);
      }
    }
  })();

  try {
    for await (const item of source) {
      waiting.push(item);
      wakeApplier?.();
      wakeApplier = undefined;
      while (waiting.length >= opts.maxBatch) {
        await new Promise<void>((r) => {
          wakeReader = r;
        });
      }
    }
  } finally {
    ended = true;
    wakeApplier?.();
    wakeApplier = undefined;
    await applier;
  }
}
