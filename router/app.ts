// The router's HTTP handler, read top-down: health, then only what is a public route (the path
// checked as sent, then matched against the allow-list): the public docs (any active cell answers
// them), then a partner request: who it is (from the key), may it pass, is it held by a move,
// which cell, forward. A plain node:http handler rather than Hono: there are three fixed routes
// and a body to relay unchanged, and skipping the Request/Response conversion keeps the hop
// cheap (bench/router-overhead.ts measures it). Errors keep the one cellpay shape.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import { ApiError } from "../shared/errors.ts";
import { MOVING_HEADER, RETRY_AFTER_MS_HEADER } from "../shared/http/protocol-headers.ts";
import { newId } from "../shared/ids.ts";
import type { Logger } from "../shared/logger.ts";
import { keyModeFromAuthorization, partnerIdFromAuthorization } from "../shared/routing/partner-from-key.ts";
import { matchPublicRoute } from "../shared/routing/public-routes.ts";
import type { RoutePartner } from "../shared/routing/routing-table.ts";
import { originForm, unsafePathReason } from "../shared/routing/unsafe-path.ts";
import { startSpan } from "../shared/telemetry/trace-context.ts";
import type { CellPool, CellPools } from "./cell-pool.ts";
import { downstreamResponseHeaders, upstreamRequestHeaders } from "./forwarded-headers.ts";
import type { RouterRoute, RouterTelemetry } from "./metrics.ts";
import { PartnerErrorThrottle, type PartnerErrorThrottleOptions } from "./partner-error-throttle.ts";
import { holdWhileFrozen, waitForRouteChange } from "./partner-hold.ts";
import { forwardToCell } from "./proxy.ts";
import { readRequestBody } from "./request-body.ts";
import { sendError, sendJson } from "./respond.ts";
import type { RoutingTableStore } from "./routing-table-store.ts";
import type { TransportSecurity } from "./transport-security.ts";

export interface RouterConfig {
  requestTimeoutMs: number;
  holdMaxMs: number;
  /** The cell's body limit; the router buffers one byte more so the cell answers 413 itself. */
  maxBodyBytes: number;
  maxAttempts: number;
  partnerErrors: Omit<PartnerErrorThrottleOptions, "now">;
}

export interface RouterDeps {
  store: RoutingTableStore;
  cells: CellPools;
  logger: Logger;
  config: RouterConfig;
  telemetry?: RouterTelemetry;
  transportSecurity?: TransportSecurity;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const incomingId = /^[A-Za-z0-9_-]{8,64}$/;

export function createRouterApp(deps: RouterDeps): Handler {
  const { store, cells, logger, config, telemetry } = deps;
  /** Partners their cell rate-limited, until when (see relay). */
  const limitedUntil = new Map<string, number>();
  /** Partners whose own requests keep getting 5xx: throttled without touching the cell's breaker. */
  const partnerErrors = new PartnerErrorThrottle({ ...config.partnerErrors, now: Date.now });

  return function routerHandler(req, res) {
    const started = performance.now();
    const given = req.headers["request-id"];
    const requestId = typeof given === "string" && incomingId.test(given) ? given : newId("req");
    // An absolute-form target (`GET http://host/v1/…`) is judged and forwarded in origin form.
    const url = originForm(req.url ?? "/");
    const q = url.indexOf("?");
    const pathname = q === -1 ? url : url.slice(0, q);
    // Aborted when the partner hangs up (and by the proxy's deadline): stops the upstream request.
    const cancel = new AbortController();
    // Not res.writableFinished: it stays false while the socket still buffers our last bytes.
    let finished = false;
    res.once("close", () => {
      if (!finished) cancel.abort();
    });
    // The caller's trace is continued (or one started) and handed to the cell in `traceparent`.
    const caller = req.headers.traceparent;
    const traced = startSpan("router request", typeof caller === "string" ? caller : undefined);
    const ctx: { partnerId?: string; cellId?: string; route: RouterRoute; err?: unknown } = {
      route: "partner_api",
    };
    res.once("finish", () => {
      finished = true;
      const ms = performance.now() - started;
      telemetry?.observe(ctx.route, ctx.cellId, res.statusCode, ms);
      traced.span.end();
      const line = {
        request_id: requestId,
        trace_id: traced.traceId,
        partner_id: ctx.partnerId,
        cell_id: ctx.cellId,
        method: req.method,
        status: res.statusCode,
        ms: Math.round(ms * 10) / 10,
      };
      // The one line of a 5xx, with its cause when the router made it.
      if (res.statusCode >= 500) logger.error({ ...line, err: ctx.err }, "request failed");
      else logger.debug(line, "request");
    });

    let body: Buffer | undefined;
    const relay = async (
      cell: CellPool,
      route?: { partnerId: string; limitKey: string; partner: RoutePartner; deadline: number },
    ) => {
      ctx.cellId = cell.cellId;
      body ??= await readRequestBody(req, config.maxBodyBytes);
      const upstream = await forwardToCell(
        cell,
        {
          method: req.method ?? "GET",
          path: url,
          headers: upstreamRequestHeaders(req.headers, {
            requestId,
            clientIp: req.socket.remoteAddress,
            traceparent: traced.traceparent,
            tls: (req.socket as TLSSocket).encrypted === true,
          }),
          body,
        },
        config,
        cancel,
      );
      if (route) partnerErrors.record(route.partnerId, upstream.status);
      // The cell refused the partner for its rate limit: refuse it here until the bucket can have
      // refilled, so a flood over the limit costs the cell nothing (other partners keep its CPU).
      if (route && upstream.status === 429) {
        const waitMs = Number(upstream.headers[RETRY_AFTER_MS_HEADER]);
        if (waitMs > 0) {
          if (limitedUntil.size > 100_000) limitedUntil.clear();
          limitedUntil.set(route.limitKey, Date.now() + Math.min(waitMs, 60_000));
        }
      }
      // The cell refused the partner as moving before doing anything: hold it like a frozen
      // partner and resend it where the table points once the move has flipped or rolled back.
      if (route && upstream.status === 503 && upstream.headers[MOVING_HEADER] !== undefined) {
        const left = route.deadline - Date.now();
        if (left > 0) {
          upstream.body.resume();
          upstream.done();
          const held = await waitForRouteChange(store, route.partnerId, route.partner, left, cancel.signal);
          if (held.kind === "aborted") return;
          if (held.kind === "gone") throw new ApiError("invalid_api_key", "The API key is not valid.");
          if (held.kind === "timeout") throw moving();
          if (held.partner.status === "suspended") throw suspended();
          const next = cells.get(held.partner.cell);
          if (!next)
            throw new ApiError("cell_unavailable", "The partner's cell is not known to this router yet.");
          return relay(next, { ...route, partner: held.partner });
        }
      }
      res.writeHead(upstream.status, downstreamResponseHeaders(upstream.headers));
      // pipe() rather than pipeline(): pipeline allocates and aborts an AbortController per call,
      // a measurable share of the router's CPU per request.
      upstream.body.once("end", upstream.done);
      upstream.body.once("error", (err) => {
        upstream.done();
        if (!cancel.signal.aborted) logger.warn({ request_id: requestId, err: err.message }, "relay broke");
        res.destroy();
      });
      res.once("close", () => {
        if (!finished) upstream.body.destroy();
      });
      upstream.body.pipe(res);
    };

    const handle = async () => {
      if (pathname === "/healthz") {
        ctx.route = "health";
        return sendJson(res, 200, { status: "ok" });
      }
      if (pathname === "/metrics" && telemetry) {
        ctx.route = "metrics";
        return telemetry.serve(req, res);
      }
      if (pathname === "/readyz") {
        ctx.route = "health";
        const version = store.table.version;
        return store.ready
          ? sendJson(res, 200, { status: "ready", version })
          : sendJson(res, 503, { status: "unavailable", version });
      }
      // Partners reach the public routes only: a cell's internal API and metrics are for the
      // platform. The path is judged as sent, before anyone could normalise it into another one.
      const unsafe = unsafePathReason(pathname);
      if (unsafe !== undefined) throw new ApiError("invalid_path", unsafe);
      const match = matchPublicRoute(req.method ?? "GET", pathname);
      if (!match) throw new ApiError("route_not_found", `No route ${req.method} ${pathname.slice(0, 200)}.`);
      if (match.kind === "method_not_allowed") {
        throw new ApiError("method_not_allowed", `${req.method} is not allowed on ${pathname}.`, {
          headers: { allow: match.allow },
        });
      }
      if (match.route.kind === "docs") {
        ctx.route = "docs";
        const cell = anyActiveCell(cells);
        if (!cell) throw new ApiError("cell_unavailable", "No cell can serve the API reference right now.");
        return relay(cell);
      }

      try {
        deps.transportSecurity?.check(req); // live keys only over TLS (transport-security.ts)
      } catch (err) {
        // A live secret just crossed a network in clear: the partner must roll it, so say whose.
        const partner = partnerIdFromAuthorization(req.headers.authorization ?? "");
        logger.warn(
          {
            request_id: requestId,
            client_ip: req.socket.remoteAddress,
            key_prefix: `sk_live_${partner ?? "?"}`,
          },
          "live key sent over plain HTTP refused",
        );
        throw err;
      }
      const authorization = req.headers.authorization;
      if (!authorization)
        throw new ApiError("missing_api_key", "Send your secret key as 'Authorization: Bearer sk_…'.");
      const partnerId = partnerIdFromAuthorization(authorization);
      // The router cannot verify a key (the cell does), so a key naming no partner we know is invalid.
      let partner = partnerId === undefined ? undefined : store.table.partners[partnerId];
      if (!partnerId || !partner) throw new ApiError("invalid_api_key", "The API key is not valid.");
      ctx.partnerId = partnerId;
      if (partner.status === "suspended") throw suspended();
      // Like the cell's buckets, per partner and mode: a test-mode flood never slows live traffic.
      const limitKey = `${partnerId}:${keyModeFromAuthorization(authorization)}`;
      const limited = limitedUntil.get(limitKey);
      if (limited !== undefined) {
        const waitMs = limited - Date.now();
        if (waitMs > 0) {
          throw new ApiError("rate_limited", "Rate limit exceeded; retry after the time in Retry-After.", {
            headers: { "retry-after": String(Math.max(1, Math.ceil(waitMs / 1000))) },
          });
        }
        limitedUntil.delete(limitKey);
      }
      const throttledMs = partnerErrors.waitMs(partnerId);
      if (throttledMs > 0) {
        throw new ApiError(
          "partner_throttled",
          "Too many of your requests failed on the server; retry after the time in Retry-After.",
          { headers: { "retry-after": String(Math.max(1, Math.ceil(throttledMs / 1000))) } },
        );
      }

      if (partner.frozen) {
        const held = await holdWhileFrozen(store, partnerId, config.holdMaxMs, cancel.signal);
        if (held.kind === "timeout") throw moving();
        if (held.kind === "aborted") return;
        if (held.kind === "gone") throw new ApiError("invalid_api_key", "The API key is not valid.");
        partner = held.partner;
        if (partner.status === "suspended") throw suspended();
      }

      const cell = cells.get(partner.cell);
      if (!cell) {
        throw new ApiError("cell_unavailable", "The partner's cell is not known to this router yet.", {
          headers: { "retry-after": "2" },
        });
      }
      return relay(cell, { partnerId, limitKey, partner, deadline: Date.now() + config.holdMaxMs });
    };

    handle().catch((err: unknown) => {
      ctx.err = err;
      if (err instanceof ApiError) return sendError(res, err, requestId);
      sendError(res, new ApiError("internal_error", "The router failed to handle the request."), requestId);
    });
  };
}

const suspended = () => new ApiError("partner_suspended", "This partner account is suspended.");
const moving = () =>
  new ApiError("partner_moving", "The partner is being moved to another cell; retry shortly.", {
    headers: { "retry-after": "1" },
  });

function anyActiveCell(cells: CellPools): CellPool | undefined {
  for (const cell of cells.all()) {
    if (cell.state === "active" && cell.instances.some((u) => u.healthy)) return cell;
  }
  return undefined;
}
