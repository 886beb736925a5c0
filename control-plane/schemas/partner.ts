import { z } from "@hono/zod-openapi";
import { apiVersionError, apiVersions, LATEST_API_VERSION } from "../../shared/api-versions.ts";
import { partnerTrafficResponse } from "../../shared/cell-api/contract.ts";
import { CellSchema } from "./cell.ts";
import { CellIdSchema, LimitSchema, listOf, ReasonSchema } from "./common.ts";

const PartnerStatusSchema = z.enum(["active", "suspended"]);

export const PartnerSchema = z
  .object({
    object: z.literal("partner"),
    id: z.string().openapi({ example: "ptr_0mh1x2y3z4abcdefghijklmn" }),
    name: z.string(),
    status: PartnerStatusSchema,
    cell_id: z.string(),
    settings: z.record(z.string(), z.unknown()),
    created: z.number().int().openapi({ description: "Unix seconds" }),
  })
  .openapi("Partner");

export const CreatePartnerBodySchema = z
  .object({
    name: z.string().trim().min(1).max(200).openapi({ example: "Acme Books" }),
    cell_id: CellIdSchema.optional().openapi({ description: "Omit to let the placement policy choose." }),
    reason: ReasonSchema.optional(),
  })
  .strict();

export const CreatedPartnerSchema = PartnerSchema.extend({
  api_key: z.string().openapi({ description: "The partner's first test key. Shown once." }),
}).openapi("CreatedPartner");

export const PartnerDetailSchema = PartnerSchema.extend({
  cell: CellSchema,
  traffic: partnerTrafficResponse.nullable().openapi({ description: "null when the cell is unreachable" }),
}).openapi("PartnerDetail");

export const ListPartnersQuerySchema = z.object({
  cell_id: CellIdSchema.optional(),
  status: PartnerStatusSchema.optional(),
  limit: LimitSchema,
  starting_after: z.string().max(64).optional(),
});

export const PartnerListSchema = listOf(PartnerSchema).openapi("PartnerList");

export const RotateKeyBodySchema = z
  .object({
    mode: z.enum(["test", "live"]).default("test"),
    revoke_key_id: z.string().min(1).max(64).optional(),
    reason: ReasonSchema.optional().openapi({ description: "Required for a live key." }),
  })
  .strict();

export const EnableLiveBodySchema = z
  .object({
    connector: z
      .string()
      .min(1)
      .max(64)
      .default("sandbox")
      .openapi({ description: "The live connector (one of the cell's LIVE_CONNECTORS)." }),
    reason: ReasonSchema,
  })
  .strict();

export const EnabledLiveSchema = z
  .object({
    partner_id: z.string(),
    live_connector: z.string(),
    key_id: z.string(),
    api_key: z.string().openapi({ description: "The first live key. Shown once." }),
  })
  .openapi("EnabledLive");

export const RotatedKeySchema = z
  .object({
    partner_id: z.string(),
    key_id: z.string(),
    api_key: z.string().openapi({ description: "Shown once." }),
    revoked_key_id: z.string().nullable(),
  })
  .openapi("RotatedKey");

export const KeyListSchema = z
  .object({
    object: z.literal("list"),
    data: z.array(
      z.object({
        key_id: z.string(),
        mode: z.string(),
        hint: z.string(),
        created: z.number(),
        revoked: z.boolean(),
      }),
    ),
  })
  .openapi("PartnerKeyList");

export const SetApiVersionBodySchema = z
  .object({
    api_version: z.enum(apiVersions, apiVersionError).openapi({ example: LATEST_API_VERSION }),
    reason: ReasonSchema.optional(),
  })
  .strict();

export const SetLimitsBodySchema = z
  .object({
    rate_limit: z
      .object({ rate: z.number().positive(), burst: z.number().int().positive() })
      .strict()
      .optional(),
    max_concurrency: z.number().int().positive().optional(),
    reason: ReasonSchema.optional(),
  })
  .strict()
  .refine((b) => b.rate_limit !== undefined || b.max_concurrency !== undefined, {
    message: "give rate_limit or max_concurrency",
  });
