// Gives every request an id (echoed in the `request-id` header and in errors), a child logger
// carrying it, and one access-log line when it ends (a 5xx with its cause, which the error
// handler keeps on the context). Each service adds its own fields: the gateway the partner and
// trace id, the control plane the admin token.
import type { Context, MiddlewareHandler } from "hono";
import { newId } from "../ids.ts";
import type { Logger } from "../logger.ts";
import type { HttpKitEnv } from "./error-handler.ts";
import { REQUEST_ID_HEADER } from "./protocol-headers.ts";

const incomingId = /^[A-Za-z0-9_-]{8,64}$/;

export function requestContext<E extends HttpKitEnv>(opts: {
  logger: (c: Context<E>) => Logger;
  /** An incoming id goes into every log line: one this refuses is replaced (card numbers). */
  acceptId?: (id: string) => boolean;
  /** Fields of the request's child logger besides the id. */
  bindings?: (c: Context<E>) => Record<string, unknown>;
  /** Fields of the access-log line, read when the request ends. */
  line?: (c: Context<E>) => Record<string, unknown>;
}): MiddlewareHandler<E> {
  return async function requestContext(c, next) {
    const given = c.req.header(REQUEST_ID_HEADER);
    const requestId =
      given && incomingId.test(given) && (opts.acceptId?.(given) ?? true) ? given : newId("req");
    c.set("requestId", requestId);
    const log = opts.logger(c).child({ request_id: requestId, ...opts.bindings?.(c) });
    c.set("log", log);
    const started = performance.now();
    // Set before next(): Hono merges it into the response as it is built. A header set after the
    // response exists makes Hono rebuild it as a full web Response, which costs the node adapter
    // its fast path (about a tenth of a payment's gateway CPU). Only a route that built its own
    // Response without it gets it afterwards.
    c.header(REQUEST_ID_HEADER, requestId);
    await next();
    if (!c.res.headers.has(REQUEST_ID_HEADER)) c.header(REQUEST_ID_HEADER, requestId);
    const status = c.res.status;
    const line = {
      method: c.req.method,
      path: c.req.routePath === "/*" ? "(unmatched)" : c.req.routePath,
      status,
      ms: Math.round((performance.now() - started) * 10) / 10,
      ...opts.line?.(c),
    };
    if (status >= 500) log.error({ ...line, err: c.get("error") }, "request failed");
    else log.debug(line, "request");
  };
}
