// The cell's internal API and metrics live on the internal listener only: the public port (the
// one the routers forward to) answers 404 for them with any credentials, and the internal port
// serves them to the internal credentials and nothing else of the partner API.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  card,
  client,
  startTestCell,
  TEST_CELL_ADMIN_TOKEN,
  TEST_METRICS_TOKEN,
  type TestCell,
} from "../harness.ts";

let cell: TestCell;
let apiKey: string;

beforeAll(async () => {
  cell = await startTestCell({ KEY_CACHE_TTL_MS: "0" });
  ({ apiKey } = await cell.partner("Listener partner"));
  // One payment, so the metrics have a partner's request to show.
  const made = await client(cell.url, apiKey)("POST", "/v1/payments", {
    amount: 500,
    currency: "EUR",
    payment_method: card(),
  });
  expect(made.status).toBe(201);
});
afterAll(() => cell?.stop());

const internalPaths = [
  "/internal/v1/health",
  "/internal/v1/partners/ptr_000000000000000000000000",
  "/internal/v1/partners/ptr_000000000000000000000000/keys",
  "/internal/v1/partners/ptr_000000000000000000000000/in-flight",
  "/metrics",
  "/metrics/partners",
];

const asInternal = { authorization: `Bearer ${TEST_CELL_ADMIN_TOKEN}` };
const asScraper = { authorization: `Bearer ${TEST_METRICS_TOKEN}` };

async function get(base: string, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(base + path, { headers });
  const text = await res.text();
  return { status: res.status, text, type: res.headers.get("content-type") ?? "" };
}

describe("the public port", () => {
  it.each(internalPaths)(
    "answers 404 route_not_found for GET %s, with internal credentials or a partner key",
    async (path) => {
      for (const headers of [{}, asInternal, asScraper, { authorization: `Bearer ${apiKey}` }]) {
        const res = await get(cell.url, path, headers);
        expect(res.status).toBe(404);
        const body = JSON.parse(res.text) as { error: Record<string, string> };
        expect(body.error).toMatchObject({ type: "invalid_request_error", code: "route_not_found" });
        expect(body.error.request_id).toMatch(/^req_/);
      }
    },
  );

  it("refuses internal writes too: POST /internal/v1/partners is 404 with the cell-admin credential", async () => {
    const res = await fetch(`${cell.url}/internal/v1/partners`, {
      method: "POST",
      headers: { ...asInternal, "content-type": "application/json" },
      body: JSON.stringify({ id: "ptr_000000000000000000000001", name: "Intruder", first_key_mode: "live" }),
    });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("route_not_found");
  });

  it("still serves the partner API, docs and health", async () => {
    expect((await client(cell.url, apiKey)("GET", "/v1/payments")).status).toBe(200);
    expect((await get(cell.url, "/v1/openapi.json")).status).toBe(200);
    expect((await get(cell.url, "/healthz")).status).toBe(200);
    expect((await get(cell.url, "/readyz")).status).toBe(200);
  });
});

describe("the internal port", () => {
  it("is a different port, on loopback by default", () => {
    expect(cell.internalUrl).not.toBe(cell.url);
    expect(new URL(cell.internalUrl).hostname).toBe("127.0.0.1");
  });

  it("serves /metrics and /metrics/partners to the metrics-scrape credential only", async () => {
    for (const path of ["/metrics", "/metrics/partners"]) {
      expect((await get(cell.internalUrl, path)).status).toBe(401);
      expect((await get(cell.internalUrl, path, { authorization: `Bearer ${apiKey}` })).status).toBe(401);
    }
    const metrics = await get(cell.internalUrl, "/metrics", asScraper);
    expect(metrics.status).toBe(200);
    expect(metrics.type).toContain("text/plain");
    expect(metrics.text).toContain('route="/v1/payments",method="POST",status_class="2xx"');
    const partners = await get(cell.internalUrl, "/metrics/partners", asScraper);
    expect(partners.status).toBe(200);
    expect(partners.type).toContain("application/json");
  });

  it("serves the internal API to the cell-admin credential only", async () => {
    expect((await get(cell.internalUrl, "/internal/v1/health")).status).toBe(401);
    const health = await get(cell.internalUrl, "/internal/v1/health", asInternal);
    expect(health.status).toBe(200);
    expect(JSON.parse(health.text)).toEqual({ status: "ok", cell_id: "cell-test" });
    const unknown = await get(
      cell.internalUrl,
      "/internal/v1/partners/ptr_000000000000000000000000",
      asInternal,
    );
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.text).error.code).toBe("resource_not_found");
  });

  it("answers /healthz naming the cell, and serves nothing of the partner API", async () => {
    const health = await get(cell.internalUrl, "/healthz");
    expect(JSON.parse(health.text)).toEqual({ status: "ok", cell_id: "cell-test" });
    for (const path of ["/v1/payments", "/v1/openapi.json", "/docs", "/readyz"]) {
      const res = await get(cell.internalUrl, path, { authorization: `Bearer ${apiKey}` });
      expect(res.status).toBe(404);
      expect(JSON.parse(res.text).error.code).toBe("route_not_found");
    }
  });
});
