// Everything a gateway needs, built once at boot (main.ts) or by a test harness, then passed in.
import type { KeyObject } from "node:crypto";
import type { Logger } from "../../shared/logger.ts";
import type { AcquirerRoutes } from "../acquirer/acquirer-routes.ts";
import type { PaymentCache } from "../cache/payment-cache.ts";
import type { Redis, RedisHealth } from "../cache/redis-client.ts";
import type { Db, Sql } from "../db/client.ts";
import type { OutboxWaker } from "../events/outbox-wake.ts";
import type { DeclineLimit, DeclineVelocity } from "../limits/decline-velocity.ts";
import type { InFlight } from "../limits/in-flight.ts";
import type { BucketLimit, TokenBuckets } from "../limits/token-bucket.ts";
import type { KeyLookup } from "../partners/key-lookup.ts";
import type { PaymentWrites } from "../payments/payment-writes.ts";
import type { Vault } from "../vault/vault.ts";

export interface GatewayConfig {
  cellId: string;
  /** How long a connector call may take before the payment is left `processing` for recovery. */
  acquirerTimeoutMs: number;
  /** An idempotency key locked longer than this is taken over by a retry (its request died). */
  idempotencyLockMs: number;
  /** Requests in progress in this gateway past which new ones get a fast 503. */
  maxInFlight: number;
  /** Requests that waited longer than this since the router sent them get a fast 503. */
  queueBudgetMs: number;
  /** Platform defaults for partners whose settings say nothing. */
  defaultRateLimit: BucketLimit;
  defaultMaxConcurrency: number;
  /** Card-testing defence: declines per window that pause a partner's card payments. */
  declineLimit: DeclineLimit;
  /** The control plane's cell-admin credential for /internal/v1; undefined disables that API. */
  cellAdminToken: string | undefined;
  /** The metrics-scrape credential for /metrics; undefined disables the metrics. */
  metricsToken: string | undefined;
  /** Verifies move capabilities (export/import); undefined refuses every export and import. */
  moveVerifyKey: KeyObject | undefined;
  /** Test-mode webhook endpoints may target private addresses: local development only. */
  webhookAllowPrivateTargets: boolean;
}

export interface GatewayDeps {
  config: GatewayConfig;
  sql: Sql;
  /** The pool without the primary-wait deadline (cell/db/client.ts); defaults to `sql`. */
  sqlWithoutDeadline?: Sql;
  /** Phase 1 and 2 of every payment write, shared by concurrent requests (group commit). */
  paymentWrites: PaymentWrites;
  /** Wakes the cell's outbox relay after a commit that wrote events (refunds, card-token deletes). */
  outboxWaker: OutboxWaker;
  db: Db;
  logger: Logger;
  /** Test mode: the simulator; live mode: the partner's live connector (acquirer-routes.ts). */
  acquirers: AcquirerRoutes;
  vault: Vault;
  keys: KeyLookup;
  /** Undefined when the cell runs without Redis: then caching is off and limits are local. */
  redis: Redis | undefined;
  redisHealth: RedisHealth;
  paymentCache: PaymentCache;
  buckets: TokenBuckets;
  declineVelocity: DeclineVelocity;
  inFlight: InFlight;
  /** Partners being moved out: refused with 503 partner_moving until the move ends. */
  frozenPartners: Set<string>;
  clock: () => Date;
}
