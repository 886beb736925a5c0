// Times every request and counts it under its route pattern (c.req.routePath, never the raw path)
// and status class; counts the limits' refusals; records the partner's figures in the bounded
// per-partner map; and gives the request its span: the caller's `traceparent` is continued (or a
// trace started), the span's traceparent is put on the context for the outbox events and echoed
// in the `traceparent` response header. Runs before requestContext, so its logger carries trace_id.
import type { MiddlewareHandler } from "hono";
import { ApiError } from "../../../shared/errors.ts";
import { statusClass } from "../../../shared/telemetry/registry.ts";
import { SpanStatusCode, startSpan, withSpan } from "../../../shared/telemetry/trace-context.ts";
import type { AppEnv } from "../app-env.ts";
import type { GatewayTelemetry } from "../telemetry/gateway-telemetry.ts";

const limitCodes = new Set([
  "rate_limited",
  "too_many_concurrent_requests",
  "overloaded",
  "card_testing_suspected",
]);

export const metrics = (t: GatewayTelemetry): MiddlewareHandler<AppEnv> =>
  async function metrics(c, next) {
    const started = performance.now();
    const traced = startSpan("gateway request", c.req.header("traceparent"));
    c.set("traceparent", traced.traceparent);
    // Before next(): a header set after the response exists makes Hono copy the Response.
    c.header("traceparent", traced.traceparent);
    try {
      await withSpan(traced.span, next);
    } finally {
      const status = c.res.status;
      const ms = performance.now() - started;
      const route = c.req.routePath === "/*" ? "(unmatched)" : c.req.routePath;
      t.requests.observe([route, c.req.method, statusClass(status)], ms / 1000);
      if (status === 429 || status === 503) {
        const err = c.get("error");
        if (err instanceof ApiError && limitCodes.has(err.code)) t.rejections.inc([err.code]);
      }
      const partner = c.get("partner");
      if (partner) t.partners.record(partner.partnerId, status, ms);
      if (status >= 500) traced.span.setStatus({ code: SpanStatusCode.ERROR });
      traced.span.setAttribute("http.route", route);
      traced.span.setAttribute("http.response.status_code", status);
      traced.span.end();
    }
  };
