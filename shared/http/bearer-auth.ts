// The one check of a platform credential (cell-admin, metrics scrape, routing-table read): the
// bearer token of the request compared in constant time with the audience's own secret. Both
// sides are hashed first, so neither the length nor any prefix of the secret leaks by timing.
// Each listener is given only its audience's secret: another audience's credential is refused
// like a wrong one (PCI DSS 7.2 least privilege, 8.6 system accounts).
import { createHash, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { ApiError } from "../errors.ts";

/** The platform's credentials, one per audience (see README, "Internal credentials"). */
export type CredentialAudience = "cell-admin" | "metrics-scrape" | "routing-table-read";

const describe: Record<CredentialAudience, string> = {
  "cell-admin": "the cell-admin credential",
  "metrics-scrape": "the metrics-scrape credential",
  "routing-table-read": "the routing-table read credential",
};

const digest = (s: string) => createHash("sha256").update(s).digest();

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined | null): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(header ?? "")?.[1];
}

/** A constant-time matcher for one secret; for servers that are not Hono (node:http). */
export function bearerMatcher(secret: string): (authorization: string | undefined | null) => boolean {
  const expected = digest(secret);
  return (authorization) => {
    const given = bearerToken(authorization);
    return given !== undefined && timingSafeEqual(digest(given), expected);
  };
}

export const credentialRequired = (audience: CredentialAudience) =>
  new ApiError("internal_token_required", `This endpoint needs ${describe[audience]}.`);

/**
 * Middleware accepting only `secret`. Without a secret the endpoints do not exist (404), so a
 * process started without the credential serves nothing behind it rather than serving it open.
 */
export function requireCredential<E extends { Variables: object }>(
  audience: CredentialAudience,
  secret: string | undefined,
): MiddlewareHandler<E> {
  const matches = secret ? bearerMatcher(secret) : undefined;
  return async function requireCredentialOf(c: Context<E>, next) {
    if (!matches) throw new ApiError("route_not_found", `No route ${c.req.method} ${c.req.path}.`);
    if (!matches(c.req.header("authorization"))) throw credentialRequired(audience);
    await next();
  };
}
