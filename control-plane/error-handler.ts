// The control plane's one place where anything thrown becomes the one error shape (the same as
// the partner API's). Unknown errors become a logged 500 without detail.
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { ApiError, type ErrorCode } from "../shared/errors.ts";
import type { AppEnv } from "./app-env.ts";

export function renderError(c: Context<AppEnv>, err: ApiError): Response {
  for (const [name, value] of Object.entries(err.headers)) c.header(name, value);
  return c.json(err.toBody(c.get("requestId") ?? ""), err.status);
}

const httpStatusCodes: Partial<Record<number, ErrorCode>> = {
  400: "invalid_json",
  404: "route_not_found",
  405: "method_not_allowed",
  413: "payload_too_large",
  415: "unsupported_media_type",
};

export const onError: ErrorHandler<AppEnv> = (err, c) => {
  if (err instanceof ApiError) return renderError(c, err);
  if (err instanceof HTTPException) {
    const code = httpStatusCodes[err.status];
    if (code) {
      const message = code === "invalid_json" ? "The request body is not valid JSON." : err.message || code;
      return renderError(c, new ApiError(code, message));
    }
  }
  c.get("log")?.error(
    { err: { name: (err as Error).name, message: (err as Error).message, stack: (err as Error).stack } },
    "unhandled error",
  );
  return renderError(c, new ApiError("internal_error", "An internal error occurred; it has been logged."));
};

export const notFound: NotFoundHandler<AppEnv> = (c) =>
  renderError(c, new ApiError("route_not_found", `No route ${c.req.method} ${new URL(c.req.url).pathname}.`));
