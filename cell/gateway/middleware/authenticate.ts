// Bearer secret key → the partner every query of this request is scoped to. Every refusal is
// logged at warn with the client's address and the key's public prefix (mode and partner id,
// never the secret part), so credential stuffing and leaked-key use show up in the logs.
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context, MiddlewareHandler } from "hono";
import { ApiError } from "../../../shared/errors.ts";
import { MOVING_HEADER } from "../../../shared/http/protocol-headers.ts";
import { hashApiKey, parseApiKey } from "../../partners/api-keys.ts";
import { livemodeOf } from "../../partners/mode-scope.ts";
import type { AppEnv } from "../app-env.ts";

// The key format's public part: `sk_<mode>_<partner id>` (partners/api-keys.ts). Nothing after it.
const publicPrefix = /^sk_(test|live)_ptr_[0-9a-z]{24}/;
// A flood of bad keys must not become a flood of log lines: at most this many per second.
const MAX_LINES_PER_SECOND = 50;

export const authenticate = (): MiddlewareHandler<AppEnv> => {
  let windowStart = 0;
  let lines = 0;
  let suppressed = 0;

  function refuse(c: Context<AppEnv>, err: ApiError, presented: string | undefined): never {
    const now = Date.now();
    if (now - windowStart >= 1000) {
      windowStart = now;
      lines = 0;
    }
    if (lines < MAX_LINES_PER_SECOND) {
      lines++;
      c.get("log").warn(
        {
          code: err.code,
          ...clientAddress(c),
          key_prefix: presented === undefined ? null : (publicPrefix.exec(presented)?.[0] ?? "(malformed)"),
          ...(suppressed > 0 ? { suppressed_since_last: suppressed } : {}),
        },
        "authentication failed",
      );
      suppressed = 0;
    } else {
      suppressed++;
    }
    throw err;
  }

  return async function authenticate(c, next) {
    const header = c.req.header("authorization");
    if (!header) {
      refuse(
        c,
        new ApiError("missing_api_key", "No API key: send 'Authorization: Bearer sk_test_…'."),
        undefined,
      );
    }
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const presented = match?.[1];
    const parsed = presented ? parseApiKey(presented) : undefined;
    const invalid = () => new ApiError("invalid_api_key", "The API key is malformed or unknown.");
    if (!presented || !parsed) refuse(c, invalid(), presented ?? "");
    const record = await c.get("deps").keys.find(hashApiKey(presented));
    if (!record || record.partnerId !== parsed.partnerId) refuse(c, invalid(), presented);
    if (record.revoked) {
      refuse(
        c,
        new ApiError("api_key_revoked", "This API key has been revoked; use an active key."),
        presented,
      );
    }
    if (record.partnerStatus === "moving") {
      // Nothing was done: the router holds the request and sends it again to the partner's new cell.
      throw new ApiError("partner_moving", "This account is being moved; retry shortly.", {
        headers: { "retry-after": "1", [MOVING_HEADER]: "1" },
      });
    }
    if (record.partnerStatus !== "active") {
      refuse(c, new ApiError("partner_suspended", "This account is suspended; contact support."), presented);
    }
    c.set("log", c.get("log").child({ partner_id: record.partnerId }));
    c.set("partner", {
      partnerId: record.partnerId,
      keyId: record.keyId,
      mode: record.mode,
      scope: { partnerId: record.partnerId, livemode: livemodeOf(record.mode) },
      settings: record.settings,
    });
    await next();
  };
};

/**
 * `client_ip`: the last X-Forwarded-For entry, which the router appends from the socket it accepted
 * (router/forwarded-headers.ts), else this socket's peer. `peer_ip`: this socket's peer, always, since
 * a client reaching the cell directly can write any X-Forwarded-For it likes.
 */
function clientAddress(c: Context<AppEnv>): { client_ip: string | null; peer_ip: string | null } {
  let peer: string | null = null;
  try {
    peer = getConnInfo(c).remote.address ?? null;
  } catch {
    // Not served by the node adapter (app.request in a test): no socket to read.
  }
  const forwarded = c.req.header("x-forwarded-for")?.split(",").at(-1)?.trim();
  return { client_ip: forwarded ? forwarded.slice(0, 64) : peer, peer_ip: peer };
}
