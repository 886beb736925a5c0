import { z } from "@hono/zod-openapi";
import { LimitSchema, listOf } from "./common.ts";

export const AuditEntrySchema = z
  .object({
    object: z.literal("audit_entry"),
    id: z.number().int(),
    actor: z.object({ token_id: z.string(), name: z.string(), role: z.string() }),
    source_ip: z.string().nullable(),
    request_id: z.string().nullable(),
    action: z.string().openapi({ example: "partner.suspend" }),
    target: z.string(),
    reason: z.string().nullable(),
    status: z.number().int().nullable(),
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

export const ExportAuditQuerySchema = z.object({
  from: z.iso.datetime({ offset: true }).optional().openapi({ example: "2026-12-01T00:00:00Z" }),
  to: z.iso.datetime({ offset: true }).optional().openapi({ example: "2026-12-02T00:00:00Z" }),
  after_id: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .openapi({ description: "Page on: the last id you got." }),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  format: z.enum(["json", "csv"]).default("json"),
});

export const ChainedAuditRowSchema = z
  .object({
    id: z.number().int(),
    actor: z.string(),
    actor_name: z.string(),
    actor_role: z.string(),
    source_ip: z.string().nullable(),
    request_id: z.string().nullable(),
    action: z.string(),
    target: z.string(),
    reason: z.string().nullable(),
    status: z.number().int().nullable(),
    before: z.unknown(),
    after: z.unknown(),
    created_at: z.string(),
    prev_hash: z.string(),
    hash: z.string(),
  })
  .openapi("AuditRow");

export const AuditExportSchema = z
  .object({
    object: z.literal("audit_export"),
    data: z.array(ChainedAuditRowSchema),
    has_more: z.boolean(),
    chain_head: z.object({ last_id: z.number().int(), last_hash: z.string() }),
  })
  .openapi("AuditExport");
