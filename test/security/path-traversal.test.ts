// An attacker with one ordinary test key, at the global endpoint: paths that try to reach a cell's
// internal API or /metrics by dot segments, encodings of them, slashes and backslashes, path
// parameters, overlong or odd bytes. Each is sent as raw bytes over a socket (fetch and every URL
// parser would normalise them first), through a real router in front of a real cell. None may
// reach the cell: the router answers 400/404 in the one error shape, never the internal API's
// 401, and the cell's own request log shows nothing but health checks meanwhile.
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningRouter } from "../../router/create-router.ts";
import { type RoutingWorld, startRoutingWorld } from "../../router/testing/router-fixture.ts";

let world: RoutingWorld;
let router: RunningRouter;
let apiKey: string;

interface RawResponse {
  status: number;
  headers: string;
  body: string;
}

/** One request with the target exactly as given (as bytes, UTF-8 for anything past ASCII). */
function rawRequest(
  baseUrl: string,
  target: string,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  const head = [
    `GET ${target} HTTP/1.1`,
    `host: ${hostname}:${port}`,
    "connection: close",
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ].join("\r\n");
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", reject);
    socket.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const split = text.indexOf("\r\n\r\n");
      const statusLine = text.slice(0, text.indexOf("\r\n"));
      resolve({
        status: Number(statusLine.split(" ")[1]),
        headers: text.slice(0, split).toLowerCase(),
        body: dechunk(text.slice(split + 4), text.slice(0, split).toLowerCase()),
      });
    });
    socket.write(Buffer.from(`${head}\r\n\r\n`, "utf8"));
  });
}

function dechunk(body: string, headers: string): string {
  if (!headers.includes("transfer-encoding: chunked")) return body;
  let out = "";
  let rest = body;
  for (;;) {
    const line = rest.indexOf("\r\n");
    const size = Number.parseInt(rest.slice(0, line), 16);
    if (!size) return out;
    out += rest.slice(line + 2, line + 2 + size);
    rest = rest.slice(line + 2 + size + 2);
  }
}

/** Where an attacker wants to go. */
const destinations = ["internal/v1/partners/x", "internal/v1/health", "metrics", "metrics/partners"];
/** Public prefixes an attacker starts from (they pass a prefix check). */
const prefixes = ["/docs/", "/v1/", "/v1/payments/", "/v1/openapi.json/", "/v1/payments/pay_x/"];
/** One step up, in every spelling we know of. */
const ups = [
  "../",
  "./../",
  "%2e%2e/",
  "%2E%2e/",
  "%2E%2E/",
  ".%2e/",
  "%2e./",
  "..%2f",
  "..%2F",
  "%2e%2e%2f",
  "%252e%252e/",
  "%252e%252e%252f",
  "..%5c",
  "..%5C",
  "..\\",
  "..;/",
  "..%3b/",
  "%c0%ae%c0%ae/",
  "%ef%bc%8e%ef%bc%8e/",
  "\uff0e\uff0e/",
  "..%00/",
  "%2e%2e%00/",
  "..%09/",
  "%2e%2e%u002f",
  ".%2E/",
];

function corpus(): string[] {
  const targets = new Set<string>();
  for (const prefix of prefixes) {
    for (const up of ups) {
      // Deep enough to climb out of any prefix, and once (the prefix's own parent).
      targets.add(`${prefix}${up.repeat(4)}${destinations[0]}`);
      targets.add(`${prefix}${up}${destinations[targets.size % destinations.length]}`);
    }
  }
  for (const d of destinations) {
    // The router's own /metrics (its token required) is not a cell's: every other spelling is refused.
    if (d !== "metrics") targets.add(`/${d}`);
    targets.add(`//${d}`);
    targets.add(`/v1//../${d}`);
    targets.add(`/\\${d}`);
    targets.add(`/v1/%2f%2f${d}`);
    targets.add(`/docs/..;/${d}`);
    targets.add(`http://cell.internal/docs/../${d}`);
  }
  for (const t of [
    "/v1/../metrics",
    "/v1/%2e%2e/metrics",
    "/v1/%2E%2E/metrics",
    "/v1/payments/pay_x%2f..%2f..%2finternal%2fv1%2fhealth",
    "/v1/payments/..",
    "/v1/payments/.",
    "/v1/payments/%2e",
    "/v1/payments/%00",
    "/v1/payments/pay_x%00",
    "/v1/payments/pay_x;/../../metrics",
    "/v1/payments/pay_x#/../../metrics",
    "/v1/payments/pay_\uff3f1",
    `/v1/${"a/".repeat(1100)}metrics`,
    `/v1/payments/${"a".repeat(3000)}`,
    `/docs/${"../".repeat(800)}metrics`,
    "/.",
    "/..",
    "/%2e%2e",
    "/%2e%2e/internal/v1/health",
    "*",
    "metrics",
    "/internal",
    "/internal/",
    "/Internal/v1/health",
    "/v1/internal/v1/health",
  ]) {
    targets.add(t);
  }
  return [...targets];
}

/** The cell's request log lines since `from`, by path (request-context logs one per request). */
function cellRequestPaths(from: number): string[] {
  return world.cells[0]!.logLines.slice(from)
    .map((l) => JSON.parse(l) as { msg?: string; path?: string })
    .filter((l) => l.msg === "request" || l.msg === "request failed")
    .map((l) => String(l.path));
}

function expectRefused(res: RawResponse, target: string) {
  expect([400, 404], target).toContain(res.status);
  const body = JSON.parse(res.body) as { error?: Record<string, unknown> };
  expect(body.error, target).toMatchObject({
    type: "invalid_request_error",
    code: expect.stringMatching(/^(invalid_path|route_not_found)$/),
    message: expect.any(String),
    request_id: expect.stringMatching(/^req_/),
  });
  expect(body.error?.code, target).not.toBe("internal_token_required");
  expect(res.body, target).not.toContain("cellpay_");
}

beforeAll(async () => {
  world = await startRoutingWorld(1);
  const partner = await world.cells[0]!.partner("Attacker");
  apiKey = partner.apiKey;
  await world.controlPlane.publish({
    partners: { [partner.partnerId]: { cell: "cell-a", status: "active", frozen: false } },
  });
  router = await world.router("r1");
});

afterAll(async () => {
  await world?.stop();
});

describe("path traversal through the global endpoint", () => {
  it("refuses every variant of the corpus with 400/404 in the error shape, and none reaches the cell", async () => {
    const targets = corpus();
    expect(targets.length).toBeGreaterThanOrEqual(100);
    const logFrom = world.cells[0]!.logLines.length;
    for (const target of targets) {
      const withKey: Record<string, string> = { authorization: `Bearer ${apiKey}` };
      for (const headers of [withKey, {}]) {
        expectRefused(await rawRequest(router.url, target, headers), target);
      }
    }
    // The router forwarded none of them: the cell saw only its health checks meanwhile.
    expect(cellRequestPaths(logFrom).filter((p) => p !== "/healthz")).toEqual([]);
  });

  it("still forwards the public routes, spelled plainly", async () => {
    const auth = { authorization: `Bearer ${apiKey}` };
    const logFrom = world.cells[0]!.logLines.length;
    expect((await rawRequest(router.url, "/v1/balance", auth)).status).toBe(200);
    // The cell's request log does show what reaches it (so the corpus test's empty log means something).
    expect(cellRequestPaths(logFrom)).toContain("/v1/balance");
    expect((await rawRequest(router.url, "/v1/payments?limit=1", auth)).status).toBe(200);
    expect((await rawRequest(router.url, "/v1/openapi.json")).status).toBe(200);
    expect((await rawRequest(router.url, "/docs")).status).toBe(200);
    const missing = await rawRequest(router.url, "/v1/payments/pay_doesnotexist", auth);
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body).error.code).toBe("resource_not_found");
    // Dots after `?` are the query's: the path is a public route's, forwarded, and the cell judges
    // the query by the route's schema (this route takes no parameter).
    const query = await rawRequest(router.url, "/v1/payments/pay_x?/../../metrics", auth);
    expect(query.status).toBe(400);
    expect(JSON.parse(query.body).error).toMatchObject({ code: "invalid_request", param: "/../../metrics" });
  });
});

describe("path traversal straight at the cell's public port", () => {
  it("refuses dot segments and their encodings with 400 invalid_path instead of resolving them", async () => {
    for (const target of [
      "/docs/../internal/v1/partners/x",
      "/docs/./../internal/v1/health",
      "/v1/../metrics",
      "/v1/%2e%2e/metrics",
      "/v1/%2E%2e/metrics",
      "/v1/payments/%2e%2e/%2e%2e/internal/v1/health",
      "/v1/payments/..%2f..%2finternal/v1/health",
      "/v1/%252e%252e/metrics",
      "/docs/..;/internal/v1/health",
      "//internal/v1/health",
      "/v1/payments/%00",
      `/v1/payments/${"a".repeat(3000)}`,
      "http://cell.internal/docs/../internal/v1/health",
      // Refused before Hono runs (by @hono/node-server and Node's parser): the same shape.
      "/v1\\..\\metrics",
      "/docs\\..\\internal/v1/health",
      "/v1/payments/\u0001",
    ]) {
      const res = await rawRequest(world.cells[0]!.url, target, { authorization: `Bearer ${apiKey}` });
      expect(res.status, target).toBe(400);
      expect(JSON.parse(res.body).error, target).toMatchObject({
        type: "invalid_request_error",
        code: "invalid_path",
        request_id: expect.stringMatching(/^req_/),
      });
    }
  });
});
