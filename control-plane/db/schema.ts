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
import type { CellState } from "../../shared/routing/routing-table.ts";

const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp("updated_at", { withTimezone: true }).notNull().defaultNow();

export interface CellHealth {
  status: "ok" | "degraded" | "down" | "unknown";
  checked_at: string | null;
  ready_gateways: string[];
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

export const auditLog = pgTable("audit_log", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  /** The admin token's id, and its name at the time. */
  actor: text("actor").notNull(),
  actorName: text("actor_name").notNull(),
  action: text("action").notNull(),
  target: text("target").notNull(),
  before: jsonb("before"),
  after: jsonb("after"),
  createdAt: createdAt(),
});

/** Only a SHA-256 of each admin token is kept. */
export const adminTokens = pgTable("admin_tokens", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  tokenHash: text("token_hash").notNull().unique(),
  createdAt: createdAt(),
  revokedAt: timestamp("revoked_at", { withTimezone: true }),
});

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
