import type { Context } from "hono";
import type { z } from "zod";
import { ApiError, invalidRequest } from "../../../shared/errors.ts";

/** Parses a JSON body with a contract schema; a bad body is a 400 naming the field. */
export async function parseBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  let raw: unknown;
  try {
    const text = await c.req.text();
    raw = text ? JSON.parse(text) : {};
  } catch {
    throw new ApiError("invalid_json", "The request body is not valid JSON.");
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw invalidRequest(
      issue?.path.join(".") || undefined,
      `Invalid request: ${issue?.message ?? "bad body"}`,
    );
  }
  return result.data;
}
