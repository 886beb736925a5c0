import { z } from "@hono/zod-openapi";
import { mintableRoles } from "../admin-tokens/roles.ts";
import { listOf } from "./common.ts";

/** The longest life a token can be given: it must be renewed (PCI DSS 8.6). */
export const MAX_ADMIN_TOKEN_DAYS = 366;

export const CreateAdminTokenBodySchema = z
  .object({
    name: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .openapi({ description: "Whose token: a person or a system.", example: "alice" }),
    role: z.enum(mintableRoles).openapi({ example: "operator" }),
    expires_at: z.iso
      .datetime({ offset: true })
      .openapi({ description: `When it stops working: at most ${MAX_ADMIN_TOKEN_DAYS} days ahead.` }),
    reason: z.string().trim().min(1).max(500).optional(),
  })
  .strict()
  .openapi("CreateAdminToken");

export const AdminTokenSchema = z
  .object({
    id: z.string().openapi({ example: "atk_0f3c9a1b2c3d4e5f60" }),
    object: z.literal("admin_token"),
    name: z.string(),
    role: z.string(),
    created: z.number().int(),
    created_by: z.string().nullable(),
    expires_at: z.number().int().nullable(),
    last_used_at: z.number().int().nullable(),
    revoked_at: z.number().int().nullable(),
  })
  .openapi("AdminToken");

export const CreatedAdminTokenSchema = AdminTokenSchema.extend({
  token: z.string().openapi({ description: "The token itself. Shown once: only its hash is kept." }),
}).openapi("CreatedAdminToken");

export const AdminTokenListSchema = listOf(AdminTokenSchema).openapi("AdminTokenList");
