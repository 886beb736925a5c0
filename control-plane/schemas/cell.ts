import { z } from "@hono/zod-openapi";
import { databaseLayoutResponse } from "../../shared/cell-api/contract.ts";
import { cellStates } from "../../shared/routing/routing-table.ts";
import { CellIdSchema, listOf, ReasonSchema } from "./common.ts";

export const CellHealthSchema = z.object({
  status: z.enum(["ok", "degraded", "down", "unknown"]),
  checked_at: z.string().nullable(),
  ready_gateways: z.array(z.string()),
});

const primaryAt = z.object({ address: z.string(), timeline: z.number().int().nullable() });

/** The cell's database role layout as the health checker last read it from the cell's gateways. */
export const CellDatabaseSchema = databaseLayoutResponse
  .extend({
    /** Why the cell has no streaming synchronous standby (alert `sync_standby_missing`), or null. */
    sync_standby_missing: z.string().nullable(),
    /** The last change of primary the control plane saw (audited as cell.database_failover). */
    last_failover: z.object({ at: z.string(), from: primaryAt, to: primaryAt }).nullable(),
  })
  .openapi("CellDatabase");

export const CellSchema = z
  .object({
    object: z.literal("cell"),
    id: z.string(),
    state: z.enum(cellStates),
    weight: z.number(),
    /** Public gateway URLs: what the routing table carries. */
    gateways: z.array(z.string()),
    /** The same instances' internal listeners (internal API, /metrics): never sent to routers. */
    internal_gateways: z.array(z.string()),
    health: CellHealthSchema,
    /** Null until the health checker has read the layout once. */
    database: CellDatabaseSchema.nullable(),
    partner_count: z.number().int(),
    created: z.number().int(),
  })
  .openapi("Cell");

export const CellListSchema = listOf(CellSchema).openapi("CellList");

const gatewayUrls = z
  .array(
    z
      .string()
      .url()
      .regex(/^https?:\/\//, "must be an http(s) URL"),
  )
  .min(1)
  .max(16);

export const RegisterCellBodySchema = z
  .object({
    id: CellIdSchema,
    weight: z.number().positive().max(1000).default(1),
    gateways: gatewayUrls.openapi({
      description: "The gateways' public URLs, which the routers forward to.",
      example: ["http://127.0.0.1:17100", "http://127.0.0.1:17101"],
    }),
    internal_gateways: gatewayUrls.openapi({
      description:
        "The same gateway instances' internal listeners (internal API, /metrics), one per gateway, in the same order. Only the control plane calls them; the routers never learn them.",
      example: ["http://127.0.0.1:17150", "http://127.0.0.1:17151"],
    }),
    reason: ReasonSchema.optional().openapi({ description: "Required to re-point a registered cell." }),
  })
  .strict()
  .refine((b) => b.internal_gateways.length === b.gateways.length, {
    path: ["internal_gateways"],
    message: "needs one internal URL per gateway, in the same order",
  });

export const SetCellStateBodySchema = z
  .object({ state: z.enum(cellStates), reason: ReasonSchema.optional() })
  .strict();

export const FailoverBodySchema = z
  .object({
    to: CellIdSchema.openapi({ description: "The registered cell restored from the failed cell's backup." }),
    reason: ReasonSchema.optional(),
  })
  .strict()
  .openapi("FailoverRequest");

export const FailoverSchema = z
  .object({
    object: z.literal("failover"),
    source_cell_id: z.string(),
    target_cell_id: z.string(),
    partners: z.array(z.string()),
    routing_version: z.number().int().nullable(),
  })
  .openapi("Failover");
