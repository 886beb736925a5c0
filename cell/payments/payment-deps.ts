// What the payment services need; the gateway's deps satisfy it.
import type { Logger } from "../../shared/logger.ts";
import type { AcquirerConnector } from "../acquirer/connector.ts";
import type { PaymentCache } from "../cache/payment-cache.ts";
import type { Sql } from "../db/client.ts";
import type { DeclineLimit, DeclineVelocity } from "../limits/decline-velocity.ts";
import type { Vault } from "../vault/vault.ts";
import type { PaymentWrites } from "./payment-writes.ts";

export interface PaymentDeps {
  sql: Sql;
  /** The hot-path payment writes (batched by group commit in the gateway). */
  writes: PaymentWrites;
  acquirer: AcquirerConnector;
  vault: Vault;
  paymentCache: PaymentCache;
  log: Logger;
  acquirerTimeoutMs: number;
  clock: () => Date;
  /** Card-testing defence (card-testing-guard.ts); absent where no partner request runs. */
  declines?: { velocity: DeclineVelocity; limit: DeclineLimit } | undefined;
  /** The request's W3C traceparent, written with its outbox events. */
  traceparent?: string | undefined;
}

/** The Idempotency-Key a write runs under: its last statement finishes the key with the response. */
export interface IdempotencyScope {
  key: string;
  resumeResourceId: string | undefined;
  responseStatus: number;
  /** When set, the first write claims the key with this request hash (see gateway/idempotency.ts). */
  claimWithHash?: string | undefined;
}

/** Thrown by a write that was to claim the Idempotency-Key and found it already claimed. */
export class KeyAlreadyClaimed extends Error {}
