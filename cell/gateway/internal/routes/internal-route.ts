// What the internal routes share: their OpenAPI tag and security, the error answers, and JSON
// content from the contract (shared/cell-api/contract.ts).
import type { z } from "zod";
import { errorBodySchema } from "../../../../shared/http/error-schema.ts";

export const json = <S extends z.ZodType>(schema: S, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const internalRouteBase = { tags: ["Internal"], security: [{ cellAdmin: [] }] };

export const errorJson = (description: string) => json(errorBodySchema, description);

export const internalErrors = {
  400: json(errorBodySchema, "Invalid request"),
  401: json(errorBodySchema, "Missing or wrong cell-admin credential"),
  403: json(errorBodySchema, "Missing or invalid move capability (export and import)"),
  404: json(errorBodySchema, "No such partner or route"),
} as const;

/** A JSON request body of the contract. */
export const jsonBody = <S extends z.ZodType>(schema: S, required = true) => ({
  body: { required, content: { "application/json": { schema } } },
});
