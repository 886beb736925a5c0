import { describe, expect, it } from "vitest";
import { createSimulatorAcquirer } from "../../cell/acquirer/simulator.ts";
import { createGatewayApp } from "../../cell/gateway/app.ts";
import type { GatewayDeps } from "../../cell/gateway/deps.ts";
import { createGatewayTelemetry } from "../../cell/gateway/telemetry/gateway-telemetry.ts";
import { matchPublicRoute, publicRoutes } from "./public-routes.ts";
import { unsafePathReason } from "./unsafe-path.ts";

/** `/v1/payments/:id` and `/v1/payments/{id}` alike, whatever the parameter is called. */
const template = (method: string, path: string) =>
  `${method.toUpperCase()} ${path.replace(/:[A-Za-z_]+|\{[A-Za-z_]+\}/g, ":param")}`;

/** The routes the real gateway app registers for partners: every /v1 route, and the docs page. */
function gatewayPublicRoutes(): Set<string> {
  // Building the app reads only its config and the pool size; no request is served here, so no
  // database or Redis is involved (the security suite runs the same app against real ones).
  const deps = {
    config: {
      cellId: "cell-routes",
      acquirerTimeoutMs: 1000,
      idempotencyLockMs: 1000,
      maxInFlight: 10,
      queueBudgetMs: 1000,
      defaultRateLimit: { rate: 1, burst: 1 },
      defaultMaxConcurrency: 1,
      internalToken: "t",
    },
    sql: { options: { max: 1 } },
    acquirers: {
      test: createSimulatorAcquirer({ slowApprovalMs: 1, timeoutCardHangMs: 1 }),
      live: new Map(),
    },
  } as unknown as GatewayDeps;
  const app = createGatewayApp(deps, createGatewayTelemetry(deps));
  return new Set(
    app.routes
      .filter((r) => r.method !== "ALL" && (r.path.startsWith("/v1/") || r.path === "/docs"))
      .map((r) => template(r.method, r.path)),
  );
}

describe("public routes", () => {
  it("lists exactly the routes the gateway serves to partners (the router and the cell cannot drift)", () => {
    const gateway = gatewayPublicRoutes();
    const listed = new Set(publicRoutes.map((r) => template(r.method, r.path)));
    expect([...gateway].filter((r) => !listed.has(r))).toEqual([]);
    expect([...listed].filter((r) => !gateway.has(r))).toEqual([]);
  });

  it("matches every listed route with a real id, HEAD as GET, and names the allowed methods otherwise", () => {
    for (const r of publicRoutes) {
      const path = r.path.replace(/:[a-z]+/g, "pay_0mh1x2y3z4abcdefghijklmn");
      expect(unsafePathReason(path)).toBeUndefined();
      expect(matchPublicRoute(r.method, path)).toEqual({ kind: "route", route: r });
    }
    expect(matchPublicRoute("HEAD", "/v1/balance")).toMatchObject({ kind: "route" });
    expect(matchPublicRoute("PUT", "/v1/payments")).toEqual({
      kind: "method_not_allowed",
      allow: "POST, GET",
    });
  });

  it("matches nothing outside the list: internal routes, metrics, bad ids, extra or missing segments", () => {
    for (const path of [
      "/",
      "/healthz",
      "/metrics",
      "/metrics/partners",
      "/internal/v1/partners/ptr_x",
      "/v1",
      "/v1/",
      "/v1/payments/",
      "/v1/payments//capture",
      "/v1/payments/pay_1/capture/x",
      "/v1/payments/pay-1",
      "/v1/payments/pay.1",
      `/v1/payments/${"a".repeat(65)}`,
      "/v1/openapi.json/",
      "/docs/",
      "/docs/x",
      "/V1/payments",
      "v1/payments",
    ]) {
      expect(matchPublicRoute("GET", path), path).toBeUndefined();
    }
  });
});
