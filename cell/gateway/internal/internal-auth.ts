// The cell's internal API is for the control plane only: a shared platform token, compared in
// constant time. Without a configured token the internal API does not exist (404).
import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { ApiError } from "../../../shared/errors.ts";
import type { AppEnv } from "../app-env.ts";

const digest = (s: string) => createHash("sha256").update(s).digest();

export const internalAuth = (token: string | undefined): MiddlewareHandler<AppEnv> => {
  const expected = token ? digest(token) : undefined;
  return async function internalAuth(c, next) {
    if (!expected) throw new ApiError("route_not_found", `No route ${c.req.method} ${c.req.path}.`);
    const given = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "")?.[1];
    if (!given || !timingSafeEqual(digest(given), expected)) {
      throw new ApiError("invalid_api_key", "The internal API needs the platform's internal token.");
    }
    await next();
  };
};
