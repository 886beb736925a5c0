// The single place where anything thrown becomes the one error shape. Unknown errors become a
// logged 500 without detail; Hono's own HTTP errors (bad JSON, body too large) get their codes.
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { ApiError, type ErrorCode } from "../../shared/errors.ts";
import type { AppEnv } from "./app-env.ts";

export function renderError(c: Context<AppEnv>, err: ApiError): Response {
  const requestId = c.get("requestId") ?? "";
  for (const [name, value] of Object.entries(err.headers)) c.header(name, value);
  return c.json(err.toBody(requestId), err.status);
}

const httpStatusCodes: Partial<Record<number, ErrorCode>> = {
  400: "invalid_json",
  401: "missing_api_key",
  404: "route_not_found",
  405: "method_not_allowed",
  413: "payload_too_large",
  415: "unsupported_media_type",
};

export const onError: ErrorHandler<AppEnv> = (err, c) => {
  c.set("error", err); // request-context logs a 5xx once, with this cause; metrics reads the code
  if (err instanceof ApiError) return renderError(c, err);
  if (err instanceof HTTPException) {
    const code = httpStatusCodes[err.status];
    if (code) {
      const message = code === "invalid_json" ? "The request body is not valid JSON." : err.message || code;
      return renderError(c, new ApiError(code, message));
    }
  }
  if (isDatabaseUnavailable(err)) {
    // The cell's Postgres is down or unreachable: nothing was written; the partner may retry.
    return renderError(
      c,
      new ApiError(
        "service_unavailable",
        "The service is temporarily unavailable; retry after the time in Retry-After.",
        {
          headers: { "retry-after": "2" },
        },
      ),
    );
  }
  const dataException = inputDataException(err);
  if (dataException) {
    // A value the schemas let through that Postgres refused: the request's fault, not the cell's,
    // so a 400 (a 5xx would count against the whole cell in the router). Logged so the schema gap
    // gets closed; without the driver's message, which may quote the value.
    c.get("log")?.warn({ pg_code: dataException, path: c.req.routePath }, "input refused by the database");
    return renderError(
      c,
      new ApiError("invalid_request", "A value in the request is out of range or malformed."),
    );
  }
  return renderError(c, new ApiError("internal_error", "An internal error occurred; it has been logged."));
};

/**
 * Postgres SQLSTATE class 22, "data exception": a value that does not fit its column or type
 * (22P02 invalid text representation, 22003 numeric out of range, 22008 datetime overflow, 22001
 * string too long, 22021 a null byte in text…). Only the values of a statement raise these; so
 * does an invalid Date given to the driver as a parameter, before anything is sent.
 */
function inputDataException(err: unknown): string | undefined {
  for (const e of causes(err) as ({ code?: unknown; severity?: unknown } | null)[]) {
    // The driver turning an invalid Date parameter into text (the created[gte] finding).
    if (e instanceof RangeError && e.message === "Invalid time value") return "invalid_date_parameter";
    const code = e?.code;
    const fromPostgres = typeof e?.severity === "string";
    if (fromPostgres && typeof code === "string" && /^22[0-9A-Z]{3}$/.test(code)) return code;
  }
  return undefined;
}

// Connection-level failures of the `postgres` driver (server gone, refused, timed out).
const databaseDownCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "57P01",
  "57P03",
]);

function isDatabaseUnavailable(err: unknown): boolean {
  return causes(err).some((e) => {
    const code = (e as { code?: unknown } | null)?.code;
    return typeof code === "string" && databaseDownCodes.has(code);
  });
}

/** The error and what it wraps: drizzle rethrows a driver's error as the `cause` of its own. */
function causes(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = err; e && chain.length < 5; e = (e as { cause?: unknown }).cause) chain.push(e);
  return chain;
}

/** 404 for unknown paths, 405 (with Allow) for known paths asked with another method. */
export function notFoundOrMethodNotAllowed(
  routes: () => { method: string; path: string }[],
): NotFoundHandler<AppEnv> {
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
