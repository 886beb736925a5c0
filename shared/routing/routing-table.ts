// The routing table: which cell serves each partner, and where each cell's gateways are. The
// control plane owns it and gives it a version that only grows; routers hold all of it in memory.
// Changes travel as versioned deltas over NATS; a router that sees a gap fetches the whole table.
import { z } from "zod";

export const cellStates = ["active", "draining", "closed", "down"] as const;
export type CellState = (typeof cellStates)[number];

export const routeCellSchema = z.object({
  state: z.enum(cellStates),
  /** Base URLs of the cell's gateway instances, e.g. http://127.0.0.1:17100. */
  gateways: z.array(z.string().url()).min(1),
});

export const routePartnerSchema = z.object({
  cell: z.string(),
  status: z.enum(["active", "suspended"]),
  /** During the last step of a move: the router holds this partner's requests until it clears. */
  frozen: z.boolean().default(false),
});

/** Base64 Ed25519 signature by the control plane (routing-signature.ts); routers refuse a document without a valid one. */
const signatureSchema = z.string().min(1).optional();

export const routingTableSchema = z.object({
  version: z.number().int().min(0),
  cells: z.record(z.string(), routeCellSchema),
  partners: z.record(z.string(), routePartnerSchema),
  signature: signatureSchema,
});

export const routingDeltaSchema = z.object({
  /** The version this delta produces; it applies to exactly version - 1. */
  version: z.number().int().min(1),
  cells: z.record(z.string(), routeCellSchema.nullable()).default({}),
  partners: z.record(z.string(), routePartnerSchema.nullable()).default({}),
  signature: signatureSchema,
});

export type RouteCell = z.infer<typeof routeCellSchema>;
export type RoutePartner = z.infer<typeof routePartnerSchema>;
export type RoutingTable = z.infer<typeof routingTableSchema>;
export type RoutingDelta = z.infer<typeof routingDeltaSchema>;

/** NATS subject on the control plane's (global) NATS where deltas are published. */
export const ROUTING_SUBJECT = "cellpay.routing.delta";

export const emptyRoutingTable = (): RoutingTable => ({ version: 0, cells: {}, partners: {} });

/**
 * Applies a delta in place when it is the next version. Returns "applied", "stale" (already have
 * it: ignore) or "gap" (missed one: fetch the whole table).
 */
export function applyDelta(table: RoutingTable, delta: RoutingDelta): "applied" | "stale" | "gap" {
  if (delta.version <= table.version) return "stale";
  if (delta.version !== table.version + 1) return "gap";
  for (const [id, cell] of Object.entries(delta.cells)) {
    if (cell === null) delete table.cells[id];
    else table.cells[id] = cell;
  }
  for (const [id, partner] of Object.entries(delta.partners)) {
    if (partner === null) delete table.partners[id];
    else table.partners[id] = partner;
  }
  table.version = delta.version;
  return "applied";
}
