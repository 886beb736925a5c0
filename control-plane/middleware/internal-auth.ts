// Internal endpoints (routers fetching the table): `Authorization: Bearer <internal token>`.
import { timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { ApiError } from "../../shared/errors.ts";
import type { AppEnv } from "../app-env.ts";

export const internalAuth = (): MiddlewareHandler<AppEnv> =>
  async function internalAuth(c, next) {
    const given = Buffer.from((c.req.header("authorization") ?? "").replace(/^Bearer /, ""));
    const expected = Buffer.from(c.get("deps").internalToken);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new ApiError("internal_token_required", "This endpoint needs the platform's internal token.");
    }
    await next();
  };
