// Gives every request an id (echoed in the `request-id` header and in errors), a child logger
// carrying it, and one access-log line when it ends.
import type { MiddlewareHandler } from "hono";
import { newId } from "../../../shared/ids.ts";
import { containsCardNumber } from "../../vault/pan-detector.ts";
import type { AppEnv } from "../app-env.ts";

const incomingId = /^[A-Za-z0-9_-]{8,64}$/;

export const requestContext = (): MiddlewareHandler<AppEnv> =>
  async function requestContext(c, next) {
    const { logger } = c.get("deps");
    const given = c.req.header("request-id");
    // The id goes into every log line: one that looks like a card number is replaced.
    const requestId = given && incomingId.test(given) && !containsCardNumber(given) ? given : newId("req");
    c.set("requestId", requestId);
    const log = logger.child({ request_id: requestId, trace_id: c.get("traceparent")?.slice(3, 35) });
    c.set("log", log);
    const started = performance.now();
    // Set before next(): Hono merges it into the response as it is built. A header set after the
    // response exists makes Hono rebuild it as a full web Response, which costs the node adapter
    // its fast path (about a tenth of a payment's gateway CPU). Only a route that built its own
    // Response without it gets it afterwards.
    c.header("request-id", requestId);
    await next();
    if (!c.res.headers.has("request-id")) c.header("request-id", requestId);
    const partner = c.get("partner");
    const status = c.res.status;
    const line = {
      method: c.req.method,
      path: c.req.routePath === "/*" ? "(unmatched)" : c.req.routePath,
      status,
      ms: Math.round((performance.now() - started) * 10) / 10,
      partner_id: partner?.partnerId,
    };
    // The one line of a 5xx, with its cause (onError keeps the error for it).
    if (status >= 500) log.error({ ...line, err: c.get("error") }, "request failed");
    else log.debug(line, "request");
  };
