// Every table of the control plane's global database, in one place. Migrations are generated from
// this file (`npx drizzle-kit generate --config control-plane/drizzle.config.ts`) and committed.
import {
  bigint,
  bigserial,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
} from "drizzle-orm/pg-core";
import type { DatabaseLayout } from "../../shared/cell-api/contract.ts";
import type { CellState } from "../../shared/routing/routing-table.ts";

const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp("updated_at", { withTimezone: true }).notNull().defaultNow();

export interface CellHealth {
  status: "ok" | "degraded" | "down" | "unknown";
  checked_at: string | null;
  ready_gateways: string[];
  /**
   * The cell's database role layout as last reported by its gateways (health-checker.ts); kept
   * when a round cannot read it, so its checked_at says how old it is. Absent until first read.
   */
  database?: DatabaseLayout;
  /** The last change of primary the health checker saw (also in the audit log). */
  last_failover?: DatabaseFailover;
}

export interface DatabaseFailover {
  at: string;
  from: { address: string; timeline: number | null };
  to: { address: string; timeline: number | null };
}

export const cells = pgTable("cells", {
  id: text("id").primaryKey(),
  state: text("state").$type<CellState>().notNull().default("active"),
  weight: doublePrecision("weight").notNull().default(1),
  /** Base URLs of the cell's gateway instances: public, in the routing table. */
  gateways: jsonb("gateways").$type<string[]>().notNull(),
  /**
   * Base URLs of the same instances' internal listeners (internal API, /metrics): for the
   * control plane alone, never in the routing table. Empty only on a row from before they
   * existed, until the launcher registers the cell again.
   */
  internalGateways: jsonb("internal_gateways").$type<string[]>().notNull().default([]),
  health: jsonb("health")
    .$type<CellHealth>()
    .notNull()
    .default({ status: "unknown", checked_at: null, ready_gateways: [] }),
  createdAt: createdAt(),
});

export const partners = pgTable(
  "partners",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    status: text("status", { enum: ["active", "suspended"] })
      .notNull()
      .default("active"),
    cellId: text("cell_id")
      .notNull()
      .references(() => cells.id),
    /** Held during the last step of a move (the router holds the partner's requests). */
    frozen: boolean("frozen").notNull().default(false),
    settings: jsonb("settings").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  // Lists page by id (newest first) within a cell or a status: these keep them index scans.
  (t) => [index("partners_cell_id").on(t.cellId, t.id), index("partners_status_id").on(t.status, t.id)],
);

/** One row per routing-table version: the delta that produced it. The version only grows. */
export const routingVersions = pgTable("routing_versions", {
  version: bigint("version", { mode: "number" }).primaryKey(),
  delta: jsonb("delta").notNull(),
  createdAt: createdAt(),
});

/**
 * The audit trail (PCI DSS 10): append-only (triggers refuse UPDATE, DELETE and TRUNCATE, see
 * migration 0003) and hash-chained: `hash` = SHA-256 over the row's canonical form and
 * `prev_hash` (audit/audit-chain.ts). Rows are chained in id order under the one-row
 * `audit_chain_head`, locked by every writer, so concurrent writers cannot fork the chain.
 */
export const auditLog = pgTable(
  "audit_log",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    /** The admin token's id, and its name and role at the time. */
    actor: text("actor").notNull(),
    actorName: text("actor_name").notNull(),
    actorRole: text("actor_role").notNull().default("unknown"),
    sourceIp: text("source_ip"),
    requestId: text("request_id"),
    action: text("action").notNull(),
    target: text("target").notNull(),
    reason: text("reason"),
    /** The HTTP status the call was answered with (null for a change recorded by the system). */
    status: integer("status"),
    before: jsonb("before"),
    after: jsonb("after"),
    createdAt: createdAt(),
    prevHash: text("prev_hash").notNull().default(""),
    hash: text("hash").notNull().default(""),
  },
  (t) => [index("audit_log_created_at").on(t.createdAt)],
);

/** One row (id 1): the last chained audit entry. Locked FOR UPDATE by every audit writer. */
export const auditChainHead = pgTable("audit_chain_head", {
  id: integer("id").primaryKey(),
  lastId: bigint("last_id", { mode: "number" }).notNull().default(0),
  lastHash: text("last_hash").notNull().default(""),
});

export type AdminRoleName = "viewer" | "operator" | "partner_manager" | "admin" | "auditor" | "bootstrap";

/** Only a SHA-256 of each admin token is kept. */
export const adminTokens = pgTable("admin_tokens", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  tokenHash: text("token_hash").notNull().unique(),
  /** `bootstrap` is the configured token that can only create the first admin. */
  role: text("role").$type<AdminRoleName>().notNull().default("bootstrap"),
  createdBy: text("created_by"),
  createdAt: createdAt(),
  expiresAt: timestamp("expires_at", { withTimezone: true }),
  lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
  revokedAt: timestamp("revoked_at", { withTimezone: true }),
});

/** Dashboard login sessions: only a SHA-256 of the cookie's value is kept. */
export const dashboardSessions = pgTable(
  "dashboard_sessions",
  {
    idHash: text("id_hash").primaryKey(),
    tokenId: text("token_id").notNull(),
    createdAt: createdAt(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  },
  (t) => [index("dashboard_sessions_expires_at").on(t.expiresAt)],
);

/** Partner moves between cells (the move protocol writes these). */
export const moves = pgTable(
  "moves",
  {
    id: text("id").primaryKey(),
    partnerId: text("partner_id").notNull(),
    sourceCellId: text("source_cell_id").notNull(),
    targetCellId: text("target_cell_id").notNull(),
    status: text("status").notNull(),
    progress: jsonb("progress").notNull().default({}),
    stallMs: integer("stall_ms"),
    error: text("error"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("moves_partner_id").on(t.partnerId), index("moves_status").on(t.status)],
);

/** Cell drains (mark draining, then move every partner out). */
export const drains = pgTable(
  "drains",
  {
    id: text("id").primaryKey(),
    cellId: text("cell_id").notNull(),
    status: text("status").notNull(),
    progress: jsonb("progress").notNull().default({}),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("drains_cell_id").on(t.cellId)],
);
