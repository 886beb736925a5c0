// Schemas shared by the admin API's resources: the error shape, pagination, list envelopes.
import { z } from "@hono/zod-openapi";
import { errorBodySchema } from "../../shared/http/error-schema.ts";

export const ErrorSchema = errorBodySchema.openapi("AdminError");

const error = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorSchema } },
});

export const errorResponses = {
  400: error("Invalid request"),
  401: error("Missing, unknown or revoked admin token"),
  403: error("The token's role does not hold the route's permission"),
  404: error("No such resource"),
} as const;

export const writeErrorResponses = {
  ...errorResponses,
  409: error("The target does not accept this change now (e.g. a cell that is not active)"),
  502: error("The cell refused the change; nothing was changed"),
  503: error("The cell is unreachable; nothing was changed"),
} as const;

/** Why a destructive change is made: required there (admin-auth.ts), kept in the audit trail. */
export const ReasonSchema = z
  .string()
  .trim()
  .min(1)
  .max(500)
  .openapi({ description: "Why: kept in the audit trail.", example: "INC-4711: cell-a disk failing" });

export const ReasonBodySchema = z.object({ reason: ReasonSchema.optional() }).strict().openapi("Reason");

export const LimitSchema = z.coerce.number().int().min(1).max(100).default(10).openapi({ example: 10 });

export const IdParamSchema = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "id", in: "path" } }),
});

export const listOf = <T extends z.ZodType>(item: T) =>
  z.object({ object: z.literal("list"), data: z.array(item), has_more: z.boolean() });

export const CellIdSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{1,30}$/, "lower-case letters, digits and dashes, starting with a letter")
  .openapi({ example: "cell-a" });
