import { z } from "@hono/zod-openapi";
import { cellStates } from "../../shared/routing/routing-table.ts";
import { CellIdSchema, listOf } from "./common.ts";

export const CellHealthSchema = z.object({
  status: z.enum(["ok", "degraded", "down", "unknown"]),
  checked_at: z.string().nullable(),
  ready_gateways: z.array(z.string()),
});

export const CellSchema = z
  .object({
    object: z.literal("cell"),
    id: z.string(),
    state: z.enum(cellStates),
    weight: z.number(),
    gateways: z.array(z.string()),
    health: CellHealthSchema,
    partner_count: z.number().int(),
    created: z.number().int(),
  })
  .openapi("Cell");

export const CellListSchema = listOf(CellSchema).openapi("CellList");

export const RegisterCellBodySchema = z
  .object({
    id: CellIdSchema,
    weight: z.number().positive().max(1000).default(1),
    gateways: z
      .array(
        z
          .string()
          .url()
          .regex(/^https?:\/\//, "must be an http(s) URL"),
      )
      .min(1)
      .max(16)
      .openapi({ example: ["http://127.0.0.1:17100", "http://127.0.0.1:17101"] }),
  })
  .strict();

export const SetCellStateBodySchema = z.object({ state: z.enum(cellStates) }).strict();
