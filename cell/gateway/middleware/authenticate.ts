// Bearer secret key → the partner every query of this request is scoped to.
import type { MiddlewareHandler } from "hono";
import { ApiError } from "../../../shared/errors.ts";
import { hashApiKey, parseApiKey } from "../../partners/api-keys.ts";
import type { AppEnv } from "../app-env.ts";

export const authenticate = (): MiddlewareHandler<AppEnv> =>
  async function authenticate(c, next) {
    const header = c.req.header("authorization");
    if (!header) throw new ApiError("missing_api_key", "No API key: send 'Authorization: Bearer sk_test_…'.");
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const parsed = match ? parseApiKey(match[1]!) : undefined;
    if (!match || !parsed) throw new ApiError("invalid_api_key", "The API key is malformed or unknown.");
    const record = await c.get("deps").keys.find(hashApiKey(match[1]!));
    if (!record || record.partnerId !== parsed.partnerId) {
      throw new ApiError("invalid_api_key", "The API key is malformed or unknown.");
    }
    if (record.revoked)
      throw new ApiError("api_key_revoked", "This API key has been revoked; use an active key.");
    if (record.partnerStatus === "moving") {
      // Nothing was done: the router holds the request and sends it again to the partner's new cell.
      throw new ApiError("partner_moving", "This account is being moved; retry shortly.", {
        headers: { "retry-after": "1", "cellpay-moving": "1" },
      });
    }
    if (record.partnerStatus !== "active") {
      throw new ApiError("partner_suspended", "This account is suspended; contact support.");
    }
    c.set("log", c.get("log").child({ partner_id: record.partnerId }));
    c.set("partner", {
      partnerId: record.partnerId,
      keyId: record.keyId,
      mode: record.mode,
      settings: record.settings,
    });
    await next();
  };
