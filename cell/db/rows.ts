// Row types as raw queries (postgres.js, snake_case columns) return them, derived from the drizzle
// schema: a column added, renamed or narrowed in schema.ts changes these types with it.
import type {
  cardTokens,
  events,
  ledgerEntries,
  payments,
  refunds,
  settlementItems,
  settlements,
  webhookAttempts,
  webhookDeliveries,
  webhookEndpoints,
} from "./schema.ts";

/** `amountCaptured` → `amount_captured` (drizzle's property names to the columns they name). */
type SnakeCase<S extends string> = S extends `${infer Head}${infer Tail}`
  ? `${Head extends Lowercase<Head> ? Head : `_${Lowercase<Head>}`}${SnakeCase<Tail>}`
  : S;

/** A drizzle row type with its keys as the column names. */
export type SnakeRow<T> = { [K in keyof T as K extends string ? SnakeCase<K> : never]: T[K] };

export type PaymentRow = SnakeRow<typeof payments.$inferSelect>;
export type RefundRow = SnakeRow<typeof refunds.$inferSelect>;
export type CardTokenRow = SnakeRow<typeof cardTokens.$inferSelect>;
export type EventRow = SnakeRow<typeof events.$inferSelect>;
export type LedgerEntryRow = SnakeRow<typeof ledgerEntries.$inferSelect>;
export type SettlementRow = SnakeRow<typeof settlements.$inferSelect>;
export type SettlementItemRow = SnakeRow<typeof settlementItems.$inferSelect>;
export type WebhookEndpointRow = SnakeRow<typeof webhookEndpoints.$inferSelect>;
export type WebhookDeliveryRow = SnakeRow<typeof webhookDeliveries.$inferSelect>;
export type WebhookAttemptRow = SnakeRow<typeof webhookAttempts.$inferSelect>;
