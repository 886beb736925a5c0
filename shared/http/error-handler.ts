// The one place where anything thrown becomes the one error shape, for every HTTP service (the
// gateway's listeners and the control plane). Unknown errors become a 500 without detail; Hono's
// own HTTP errors (bad JSON, body too large) get their codes. A service adds what it knows of
// its own failures through `classify` (the gateway: its database being down is a 503).
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { ApiError, type ErrorCode } from "../errors.ts";
import type { Logger } from "../logger.ts";

/** What the kit reads from and writes to a service's context. */
export interface HttpKitEnv {
  Variables: { requestId: string; log: Logger; error?: unknown };
}

export function renderError<E extends HttpKitEnv>(c: Context<E>, err: ApiError): Response {
  for (const [name, value] of Object.entries(err.headers)) c.header(name, value);
  return c.json(err.toBody(c.get("requestId") ?? ""), err.status);
}

const httpStatusCodes: Partial<Record<number, ErrorCode>> = {
  400: "invalid_json",
  401: "missing_api_key",
  404: "route_not_found",
  405: "method_not_allowed",
  413: "payload_too_large",
  415: "unsupported_media_type",
};

export function createErrorHandler<E extends HttpKitEnv>(
  opts: { classify?: (err: unknown, c: Context<E>) => ApiError | undefined } = {},
): ErrorHandler<E> {
  return (err, c) => {
    // request-context logs a 5xx once, with this cause; the gateway's metrics read the code.
    c.set("error", err);
    if (err instanceof ApiError) return renderError(c, err);
    if (err instanceof HTTPException) {
      const code = httpStatusCodes[err.status];
      if (code) {
        const message = code === "invalid_json" ? "The request body is not valid JSON." : err.message || code;
        return renderError(c, new ApiError(code, message));
      }
    }
    const known = opts.classify?.(err, c);
    if (known) return renderError(c, known);
    return renderError(c, new ApiError("internal_error", "An internal error occurred; it has been logged."));
  };
}

/** 404 for unknown paths, 405 (with Allow) for known paths asked with another method. */
export function notFoundOrMethodNotAllowed<E extends HttpKitEnv>(
  routes: () => { method: string; path: string }[],
): NotFoundHandler<E> {
  return (c) => {
    const path = new URL(c.req.url).pathname;
    const allowed = routes()
      .filter((r) => r.method !== "ALL" && pathPattern(r.path).test(path))
      .map((r) => r.method);
    if (allowed.length > 0) {
      c.header("allow", [...new Set(allowed)].join(", "));
      return renderError(c, new ApiError("method_not_allowed", `${c.req.method} is not allowed on ${path}.`));
    }
    return renderError(c, new ApiError("route_not_found", `No route ${c.req.method} ${path}.`));
  };
}

function pathPattern(path: string): RegExp {
  const escaped = path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/:[A-Za-z_]+/g, "[^/]+");
  return new RegExp(`^${escaped}/?$`);
}
