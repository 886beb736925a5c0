// Every table of a cell, in one place. Migrations are generated from this file by drizzle-kit
// (`npm run db:generate`) and committed under cell/db/migrations. Every row carries its partner id
// and its mode (`livemode`, from the key that made it), and every index a partner query uses
// starts with both: queries are always scoped by partner and mode. Row types derive from here
// (db/rows.ts).
import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { paymentStatuses } from "../payments/payment-state.ts";

const money = (name: string) => bigint(name, { mode: "number" });
/** Test (false) or live (true): set from the authenticating key, never changed afterwards. */
const livemode = () => boolean("livemode").notNull();
const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();

export const partners = pgTable("partners", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  // `moving`: its rows are being copied out (partners/partner-freeze.ts); requests are held.
  status: text("status", { enum: ["active", "suspended", "moving"] })
    .notNull()
    .default("active"),
  settings: jsonb("settings").notNull().default({}),
  createdAt: createdAt(),
});

/** Only a SHA-256 of each secret key is kept; the key carries its partner id so a router can route. */
export const apiKeys = pgTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    partnerId: text("partner_id").notNull(),
    mode: text("mode", { enum: ["test", "live"] }).notNull(),
    secretHash: text("secret_hash").notNull(),
    hint: text("hint").notNull(),
    createdAt: createdAt(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [uniqueIndex("api_keys_secret_hash").on(t.secretHash), index("api_keys_partner").on(t.partnerId)],
);

/**
 * Cell data keys, sealed by the cell's key-encryption key (vault/cell-kek.ts); ciphertexts name
 * their key id. `state`: `active` encrypts (one per cell), `decrypt_only` is being re-encrypted
 * away, `retired` is referenced by no ciphertext and never encrypts again. No unique "one active
 * per cell" index: a move's import upserts rows as the source cell last saw them (a key this cell
 * has since demoted may come back "active"), which must not fail the move; the vault takes the
 * newest active key of its cell.
 */
export const dataKeys = pgTable("data_keys", {
  id: text("id").primaryKey(),
  sealedKey: text("sealed_key").notNull(),
  masterKeyId: text("master_key_id").notNull(),
  /** The cell whose KEK sealed it (a partner move brings other cells' rows); null: legacy `mk1.`. */
  cellId: text("cell_id"),
  state: text("state", { enum: ["active", "decrypt_only", "retired"] })
    .notNull()
    .default("active"),
  /** Encryptions reserved under this key, in blocks (vault/data-key-store.ts): bounds GCM's nonce risk. */
  encryptions: bigint("encryptions", { mode: "number" }).notNull().default(0),
  /** HMAC of the key itself: equal for the same key in every cell, whatever KEK seals it. */
  keyCheck: text("key_check"),
  createdAt: createdAt(),
  retiredAt: timestamp("retired_at", { withTimezone: true }),
});

/**
 * Data-key rotations of this cell (never copied by moves): re-encrypting every ciphertext onto
 * `toKeyId`, resumable from the cursor (table, last id), which advances in the same transaction
 * as the rows it covers.
 */
export const dataKeyRotations = pgTable("data_key_rotations", {
  id: text("id").primaryKey(),
  toKeyId: text("to_key_id").notNull(),
  status: text("status", { enum: ["running", "done"] })
    .notNull()
    .default("running"),
  cursorTable: text("cursor_table").notNull().default(""),
  cursorId: text("cursor_id").notNull().default(""),
  passes: integer("passes").notNull().default(0),
  reencrypted: bigint("reencrypted", { mode: "number" }).notNull().default(0),
  /** Ciphertexts under other keys when the rotation started (progress denominator). */
  total: bigint("total", { mode: "number" }).notNull().default(0),
  startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
  finishedAt: timestamp("finished_at", { withTimezone: true }),
});

/** A known value sealed for this cell: opening it at start proves the master keys are the right ones. */
export const vaultCanary = pgTable("vault_canary", {
  id: text("id").primaryKey(),
  sealed: text("sealed").notNull(),
  masterKeyId: text("master_key_id").notNull(),
  createdAt: createdAt(),
});

export const cardTokens = pgTable(
  "card_tokens",
  {
    id: text("id").primaryKey(),
    partnerId: text("partner_id").notNull(),
    /** PAN and holder name, AES-256-GCM under a data key, bound to the partner id. */
    cardCiphertext: text("card_ciphertext").notNull(),
    brand: text("brand").notNull(),
    bin: text("bin").notNull(),
    last4: text("last4").notNull(),
    expMonth: smallint("exp_month").notNull(),
    expYear: smallint("exp_year").notNull(),
    fingerprint: text("fingerprint").notNull(),
    livemode: livemode(),
    createdAt: createdAt(),
  },
  (t) => [index("card_tokens_partner_mode").on(t.partnerId, t.livemode, t.id)],
);

export const payments = pgTable(
  "payments",
  {
    id: text("id").primaryKey(),
    partnerId: text("partner_id").notNull(),
    status: text("status", { enum: paymentStatuses }).notNull(),
    amount: money("amount").notNull(),
    currency: text("currency").notNull(),
    captureMethod: text("capture_method", { enum: ["automatic", "manual"] }).notNull(),
    amountCapturable: money("amount_capturable").notNull().default(0),
    amountCaptured: money("amount_captured").notNull().default(0),
    amountRefunded: money("amount_refunded").notNull().default(0),
    cardBrand: text("card_brand").notNull(),
    cardBin: text("card_bin").notNull(),
    cardLast4: text("card_last4").notNull(),
    cardExpMonth: smallint("card_exp_month").notNull(),
    cardExpYear: smallint("card_exp_year").notNull(),
    cardFingerprint: text("card_fingerprint").notNull(),
    cardTokenId: text("card_token_id"),
    failureCode: text("failure_code"),
    failureMessage: text("failure_message"),
    authorizationCode: text("authorization_code"),
    description: text("description"),
    reference: text("reference"),
    metadata: jsonb("metadata").$type<Record<string, string>>().notNull().default({}),
    livemode: livemode(),
    /** Bumped by every change: the cache keeps only the newest version it has seen. */
    version: integer("version").notNull().default(1),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // ids are time-sortable, so (partner, mode, id) serves newest-first cursor pages, and created[...]
    // lists too (they bound the id; no created_at index: see migration 0011)
    index("payments_partner_mode_id").on(t.partnerId, t.livemode, t.id),
    index("payments_partner_mode_status").on(t.partnerId, t.livemode, t.status, t.id),
    index("payments_processing").on(t.updatedAt).where(sql`status = 'processing'`),
  ],
);

export const refunds = pgTable(
  "refunds",
  {
    id: text("id").primaryKey(),
    partnerId: text("partner_id").notNull(),
    paymentId: text("payment_id").notNull(),
    status: text("status", { enum: ["pending", "succeeded", "failed"] }).notNull(),
    amount: money("amount").notNull(),
    currency: text("currency").notNull(),
    reason: text("reason"),
    livemode: livemode(),
    createdAt: createdAt(),
  },
  (t) => [
    index("refunds_partner_mode_id").on(t.partnerId, t.livemode, t.id),
    index("refunds_partner_mode_payment").on(t.partnerId, t.livemode, t.paymentId),
  ],
);

/**
 * Idempotency keys in atomic phases: a row is inserted before any work ("started"), linked to the
 * resource it created, and finished with the response in the same statement as the last change.
 */
export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    partnerId: text("partner_id").notNull(),
    /** A key is the partner's per mode: the same key sent with a test and a live key are two keys. */
    livemode: livemode(),
    key: text("key").notNull(),
    requestHash: text("request_hash").notNull(),
    recoveryPoint: text("recovery_point", { enum: ["started", "resource_created", "finished"] }).notNull(),
    resourceId: text("resource_id"),
    lockedAt: timestamp("locked_at", { withTimezone: true }),
    responseStatus: integer("response_status"),
    responseBody: jsonb("response_body"),
    createdAt: createdAt(),
  },
  // Partitioned by day of created_at (migration 0008), so the key includes it; (partner_id, livemode, key)
  // stays unique across partitions through the idempotency_keys_unique trigger.
  (t) => [primaryKey({ columns: [t.partnerId, t.livemode, t.key, t.createdAt] })],
);

/**
 * Transactional outbox: each state change writes its event in the same statement. Partitioned by
 * day of id (migration 0008; drizzle does not model partitions): old days are dropped whole.
 */
export const events = pgTable(
  "events",
  {
    id: text("id").primaryKey(),
    partnerId: text("partner_id").notNull(),
    type: text("type").notNull(),
    data: jsonb("data").notNull(),
    livemode: livemode(),
    createdAt: createdAt(),
    publishedAt: timestamp("published_at", { withTimezone: true }),
    /** W3C traceparent of the request that wrote it: the relay carries it into NATS headers. */
    traceParent: text("trace_parent"),
  },
  (t) => [
    index("events_unpublished").on(t.id).where(sql`published_at is null`),
    index("events_partner_mode").on(t.partnerId, t.livemode, t.id),
  ],
);

/**
 * Which events a consumer has applied: makes every processor idempotent by event id. Partitioned
 * by day of event_id (migration 0008), kept as long as the outbox.
 */
export const processedEvents = pgTable(
  "processed_events",
  {
    consumer: text("consumer").notNull(),
    eventId: text("event_id").notNull(),
    processedAt: timestamp("processed_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.consumer, t.eventId] })],
);

/**
 * Double-entry ledger: every transaction (one per event) is a set of lines whose amounts sum to
 * zero. Debits are positive, credits negative. Accounts: acquirer_clearing, partner_payable,
 * platform_fees.
 */
export const ledgerEntries = pgTable(
  "ledger_entries",
  {
    transactionId: text("transaction_id").notNull(),
    line: smallint("line").notNull(),
    partnerId: text("partner_id").notNull(),
    account: text("account").notNull(),
    currency: text("currency").notNull(),
    amount: money("amount").notNull(),
    objectId: text("object_id").notNull(),
    livemode: livemode(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.transactionId, t.line] }),
    index("ledger_entries_partner_mode").on(t.partnerId, t.livemode, t.account, t.currency),
  ],
);

/**
 * Daily settlement batch per partner, mode and currency: what is payable for that day. Test-mode
 * batches are computed the same way but are never payable (no money moved).
 */
export const settlements = pgTable(
  "settlements",
  {
    id: text("id").primaryKey(),
    partnerId: text("partner_id").notNull(),
    currency: text("currency").notNull(),
    day: text("day").notNull(),
    status: text("status", { enum: ["open", "closed"] })
      .notNull()
      .default("open"),
    grossAmount: money("gross_amount").notNull().default(0),
    refundedAmount: money("refunded_amount").notNull().default(0),
    feeAmount: money("fee_amount").notNull().default(0),
    netAmount: money("net_amount").notNull().default(0),
    paymentCount: integer("payment_count").notNull().default(0),
    refundCount: integer("refund_count").notNull().default(0),
    livemode: livemode(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("settlements_partner_mode_day").on(t.partnerId, t.livemode, t.currency, t.day),
    index("settlements_partner_mode_id").on(t.partnerId, t.livemode, t.id),
  ],
);

export const settlementItems = pgTable(
  "settlement_items",
  {
    settlementId: text("settlement_id").notNull(),
    partnerId: text("partner_id").notNull(),
    kind: text("kind", { enum: ["payment", "refund"] }).notNull(),
    objectId: text("object_id").notNull(),
    amount: money("amount").notNull(),
    fee: money("fee").notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.settlementId, t.kind, t.objectId] })],
);

/** Partner webhook endpoints. Signing secrets are sealed (they must be usable to sign). */
export const webhookEndpoints = pgTable(
  "webhook_endpoints",
  {
    id: text("id").primaryKey(),
    partnerId: text("partner_id").notNull(),
    url: text("url").notNull(),
    description: text("description"),
    /** The endpoint's mode (its `livemode` in the API): it receives only events of that mode. */
    mode: text("mode", { enum: ["test", "live"] }).notNull(),
    enabledEvents: jsonb("enabled_events").$type<string[]>().notNull().default(["*"]),
    secretSealed: text("secret_sealed").notNull(),
    previousSecretSealed: text("previous_secret_sealed"),
    previousSecretExpiresAt: timestamp("previous_secret_expires_at", { withTimezone: true }),
    /** The API version its events are rendered in (cell/api-versions/); 0010 pinned old rows. */
    apiVersion: text("api_version").notNull().default("2026-06-01"),
    status: text("status", { enum: ["enabled", "disabled"] })
      .notNull()
      .default("enabled"),
    createdAt: createdAt(),
  },
  (t) => [index("webhook_endpoints_partner_mode").on(t.partnerId, t.mode, t.id)],
);

export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: text("id").notNull(),
    partnerId: text("partner_id").notNull(),
    endpointId: text("endpoint_id").notNull(),
    eventId: text("event_id").notNull(),
    status: text("status", { enum: ["pending", "succeeded", "dead"] })
      .notNull()
      .default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().defaultNow(),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    livemode: livemode(),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  // Partitioned by day of event_id (migration 0008), so the primary key includes it.
  (t) => [
    primaryKey({ columns: [t.id, t.eventId] }),
    uniqueIndex("webhook_deliveries_endpoint_event").on(t.endpointId, t.eventId),
    index("webhook_deliveries_due").on(t.nextAttemptAt).where(sql`status = 'pending'`),
    index("webhook_deliveries_partner_mode").on(t.partnerId, t.livemode, t.id),
  ],
);

export const webhookAttempts = pgTable(
  "webhook_attempts",
  {
    deliveryId: text("delivery_id").notNull(),
    attempt: integer("attempt").notNull(),
    partnerId: text("partner_id").notNull(),
    statusCode: integer("status_code"),
    error: text("error"),
    durationMs: integer("duration_ms").notNull(),
    attemptedAt: timestamp("attempted_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.deliveryId, t.attempt] })],
);

/** A transaction id with its epoch (pg_current_xact_id()); read as text. */
const xid8 = customType<{ data: string }>({ dataType: () => "xid8" });

// The change log of a partner move (migration 0012, cell/partners/change-log.ts): per-move
// triggers write here the key of each of the partner's rows that changes while it moves. The
// trigger function `cellpay_log_move_change()` lives in the migration only.
export const moveRowChanges = pgTable(
  "move_row_changes",
  {
    seq: bigserial("seq", { mode: "number" }).primaryKey(),
    moveId: text("move_id").notNull(),
    tableName: text("table_name").notNull(),
    pk: jsonb("pk").notNull(),
    xid: xid8("xid").notNull().default(sql`pg_current_xact_id()`),
  },
  (t) => [index("move_row_changes_move_table_seq").on(t.moveId, t.tableName, t.seq)],
);
