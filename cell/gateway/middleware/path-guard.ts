// Refuses, before anything else runs, a request whose path as sent could be read as another path
// (dot segments, percent-encodings, backslashes, `//`, control characters, overlong): the same
// check as the router's (shared/routing/unsafe-path.ts), so a request that reaches the cell's
// public port without the router is held to the same rule. It must read the raw path: by the time
// Hono sees the request, @hono/node-server has built it with `new URL`, which resolves
// `/docs/../internal` to `/internal` and would hide the attack from any later check.
import type { MiddlewareHandler } from "hono";
import { ApiError } from "../../../shared/errors.ts";
import { newId } from "../../../shared/ids.ts";
import { pathOfRequestTarget, unsafePathReason } from "../../../shared/routing/unsafe-path.ts";
import type { AppEnv } from "../app-env.ts";

/** What @hono/node-server passes as the env: the node request whose `url` is the target as sent. */
type NodeBindings = { incoming?: { url?: string } } | undefined;

export const pathGuard = (): MiddlewareHandler<AppEnv> =>
  async function pathGuard(c, next) {
    // Outside node-server (app.request in a test) the parsed URL is all there is.
    const raw = (c.env as NodeBindings)?.incoming?.url ?? new URL(c.req.url).pathname;
    const reason = unsafePathReason(pathOfRequestTarget(raw));
    if (reason === undefined) return next();
    // Answered here rather than thrown: this runs before request-context gives the request an id.
    const requestId = newId("req");
    const err = new ApiError("invalid_path", reason);
    return c.json(err.toBody(requestId), err.status, { "request-id": requestId });
  };
