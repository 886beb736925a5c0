// The two writes every payment makes (phase 1: the processing row and its key; phase 2: the
// outcome, its event and the key's response), shared by concurrent requests through group
// commit. Each payment keeps its own atomicity inside the shared statement, so callers cannot
// tell it from a statement of their own except by the commits it saves.
import type { Sql } from "../db/client.ts";
import {
  type ChangePaymentItem,
  changePayments,
  type InsertProcessingItem,
  insertProcessingPayments,
} from "../db/queries/payment-batches.ts";
import { StatementBatcher } from "../db/statement-batcher.ts";

export interface PaymentWrites {
  insertProcessing(item: InsertProcessingItem): Promise<{ claimed: boolean; createdAt: Date | undefined }>;
  change(item: ChangePaymentItem): Promise<number | undefined>;
  /** Statements run and items written so far (for /metrics and benchmarks). */
  stats(): { statements: number; items: number };
}

export interface BatchedWritesOptions {
  maxBatch?: number;
  /** Statements in flight per kind of write. */
  maxConcurrent?: number;
  /** Called once a phase-2 statement that wrote events has committed (wakes the outbox relay). */
  onEventsCommitted?: () => void;
}

/** Group commit: concurrent writes share statements (see db/statement-batcher.ts). */
export function batchedPaymentWrites(sql: Sql, opts: BatchedWritesOptions = {}): PaymentWrites {
  const inserts = new StatementBatcher(
    (items: InsertProcessingItem[]) => insertProcessingPayments(sql, items),
    {
      maxBatch: opts.maxBatch,
      maxConcurrent: opts.maxConcurrent,
      // One claim per key per statement: the second of two concurrent requests must see the first's.
      conflictKey: (i) =>
        i.idem ? `${i.payment.partner_id}\n${i.payment.livemode}\n${i.idem.key}` : i.payment.id,
    },
  );
  const { onEventsCommitted, ...batcherOpts } = opts;
  const changes = new StatementBatcher(
    async (items: ChangePaymentItem[]) => {
      const versions = await changePayments(sql, items);
      if (onEventsCommitted && versions.some((v) => v !== undefined)) onEventsCommitted();
      return versions;
    },
    {
      ...batcherOpts,
      conflictKey: (i) => i.target.id,
    },
  );
  return {
    insertProcessing: (item) => inserts.submit(item),
    change: (item) => changes.submit(item),
    stats: () => ({
      statements: inserts.stats.statements + changes.stats.statements,
      items: inserts.stats.items + changes.stats.items,
    }),
  };
}
