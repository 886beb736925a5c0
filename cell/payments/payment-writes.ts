// The two writes every payment makes (phase 1: the processing row and its key; phase 2: the
// outcome, its event and the key's response), either one statement per call or shared by
// concurrent requests through group commit. The gateway uses the batched ones; both keep the same
// per-payment atomicity, so callers cannot tell them apart except by the commits they save.
import type { Sql } from "../db/client.ts";
import {
  type ChangePaymentItem,
  changePayments,
  type InsertProcessingItem,
  insertProcessingPayments,
} from "../db/queries/payment-batches.ts";
import { changePayment, insertProcessingPayment } from "../db/queries/payments.ts";
import { StatementBatcher } from "../db/statement-batcher.ts";

export interface PaymentWrites {
  insertProcessing(item: InsertProcessingItem): Promise<{ claimed: boolean; createdAt: Date | undefined }>;
  change(item: ChangePaymentItem): Promise<number | undefined>;
  /** Statements run and items written so far (for /metrics and benchmarks). */
  stats(): { statements: number; items: number };
}

/** One statement per write: for the recoverer, tools and tests. */
export function directPaymentWrites(sql: Sql): PaymentWrites {
  let statements = 0;
  return {
    insertProcessing: ({ payment, idem }) => {
      statements++;
      return insertProcessingPayment(sql, payment, idem);
    },
    change: ({ target, change, event, finish }) => {
      statements++;
      return changePayment(sql, target, change, event, finish);
    },
    stats: () => ({ statements, items: statements }),
  };
}

export interface BatchedWritesOptions {
  maxBatch?: number;
  /** Statements in flight per kind of write. */
  maxConcurrent?: number;
}

/** Group commit: concurrent writes share statements (see db/statement-batcher.ts). */
export function batchedPaymentWrites(sql: Sql, opts: BatchedWritesOptions = {}): PaymentWrites {
  const inserts = new StatementBatcher(
    (items: InsertProcessingItem[]) => insertProcessingPayments(sql, items),
    {
      ...opts,
      // One claim per key per statement: the second of two concurrent requests must see the first's.
      conflictKey: (i) => (i.idem ? `${i.payment.partner_id}\n${i.idem.key}` : i.payment.id),
    },
  );
  const changes = new StatementBatcher((items: ChangePaymentItem[]) => changePayments(sql, items), {
    ...opts,
    conflictKey: (i) => i.target.id,
  });
  return {
    insertProcessing: (item) => inserts.submit(item),
    change: (item) => changes.submit(item),
    stats: () => ({
      statements: inserts.stats.statements + changes.stats.statements,
      items: inserts.stats.items + changes.stats.items,
    }),
  };
}
