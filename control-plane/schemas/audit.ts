import { z } from "@hono/zod-openapi";
import { LimitSchema, listOf } from "./common.ts";

export const AuditEntrySchema = z
  .object({
    object: z.literal("audit_entry"),
    id: z.number().int(),
    actor: z.object({ token_id: z.string(), name: z.string() }),
    action: z.string().openapi({ example: "partner.suspend" }),
    target: z.string(),
    before: z.unknown(),
    after: z.unknown(),
    created: z.number().int(),
  })
  .openapi("AuditEntry");

export const AuditListSchema = listOf(AuditEntrySchema).openapi("AuditList");

export const ListAuditQuerySchema = z.object({
  limit: LimitSchema,
  starting_after: z.coerce.number().int().positive().optional(),
});
