import { z } from "@hono/zod-openapi";
import { moveStatuses } from "../moves/move-registry.ts";
import { ReasonSchema } from "./common.ts";

export const StartMoveSchema = z
  .object({
    target_cell_id: z.string().min(1).max(64).openapi({ example: "cell-b" }),
    reason: ReasonSchema.optional(),
  })
  .strict()
  .openapi("StartMove");

export const MoveSchema = z
  .object({
    id: z.string().openapi({ example: "mv_00mwz5qxodlhxpqjdgs73kuf" }),
    object: z.literal("move"),
    partner_id: z.string(),
    source_cell_id: z.string(),
    target_cell_id: z.string(),
    status: z.enum(moveStatuses),
    progress: z
      .record(z.string(), z.unknown())
      .openapi({ description: "tables_done/total, rows_copied, checksums, …" }),
    stall_ms: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "How long the partner's requests were held" }),
    error: z.string().nullable(),
    created: z.number().int(),
    updated: z.number().int(),
  })
  .openapi("Move");

export const DrainSchema = z
  .object({
    id: z.string(),
    object: z.literal("drain"),
    cell_id: z.string(),
    status: z.string().openapi({ example: "running" }),
    progress: z
      .record(z.string(), z.unknown())
      .openapi({ description: "total, moved, failed, moving, failures" }),
    created: z.number().int(),
    updated: z.number().int(),
  })
  .openapi("Drain");
