// The router in front of two real cells, fed by a stand-in control plane over a real NATS: each
// partner lands on its own cell through either router instance, deltas re-route, suspend and
// freeze a partner alone, and a router that misses a version resyncs.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningRouter } from "../../router/create-router.ts";
import { eventually, type RoutingWorld, startRoutingWorld } from "../../router/testing/router-fixture.ts";
import { card, client } from "../harness.ts";

let world: RoutingWorld;
let routers: RunningRouter[];
let a: { partnerId: string; apiKey: string };
let b: { partnerId: string; apiKey: string };

const pay = (url: string, apiKey: string, headers: Record<string, string> = {}) =>
  client(url, apiKey)(
    "POST",
    "/v1/payments",
    { amount: 1500, currency: "eur", payment_method: card() },
    headers,
  );

/** Publishes a change and waits until both routers hold it. */
async function publish(change: Parameters<RoutingWorld["controlPlane"]["publish"]>[0]): Promise<void> {
  const version = await world.controlPlane.publish(change);
  await eventually(() => routers.every((r) => r.store.table.version >= version));
}
const route = (
  partnerId: string,
  cell: string,
  extra: { status?: "active" | "suspended"; frozen?: boolean } = {},
) => ({
  partners: { [partnerId]: { cell, status: extra.status ?? "active", frozen: extra.frozen ?? false } },
});

beforeAll(async () => {
  world = await startRoutingWorld(2);
  a = await world.cells[0]!.partner("Partner A");
  b = await world.cells[1]!.partner("Partner B");
  await world.controlPlane.publish({
    partners: { ...route(a.partnerId, "cell-a").partners, ...route(b.partnerId, "cell-b").partners },
  });
  routers = [
    await world.router("r1", { HOLD_MAX_MS: "3000" }),
    await world.router("r2", { HOLD_MAX_MS: "3000" }),
  ];
  // Partner A's key also exists on cell B, as a move's copy step would leave it.
  const fromA = postgres(world.cells[0]!.infra.postgresUrl, { max: 1, onnotice: () => {} });
  const toB = postgres(world.cells[1]!.infra.postgresUrl, { max: 1, onnotice: () => {} });
  const [partner] = await fromA`select id, name from partners where id = ${a.partnerId}`;
  const keys =
    await fromA`select id, partner_id, mode, secret_hash, hint from api_keys where partner_id = ${a.partnerId}`;
  await toB`insert into partners ${toB(partner!, "id", "name")}`;
  await toB`insert into api_keys ${toB(keys, "id", "partner_id", "mode", "secret_hash", "hint")}`;
  await Promise.all([fromA.end(), toB.end()]);
});

afterAll(async () => {
  await world?.stop();
});

describe("router: partner → cell", () => {
  it("lands each partner's payment on its own cell, through either router instance", async () => {
    for (const router of routers) {
      for (const [partner, own, other] of [
        [a, world.cells[0]!, world.cells[1]!],
        [b, world.cells[1]!, world.cells[0]!],
      ] as const) {
        const created = await pay(router.url, partner.apiKey);
        expect(created.status).toBe(201);
        const id = String(created.body.id);
        expect((await client(own.url, partner.apiKey)("GET", `/v1/payments/${id}`)).status).toBe(200);
        const elsewhere = await client(other.url, partner.apiKey)("GET", `/v1/payments/${id}`);
        expect([401, 404]).toContain(elsewhere.status);
        for (const r of routers) {
          const read = await client(r.url, partner.apiKey)("GET", `/v1/payments/${id}`);
          expect(read.body.id).toBe(id);
        }
      }
    }
  });

  it("answers 401 for a missing key, a malformed key and a key of a partner it does not know", async () => {
    const url = routers[0]!.url;
    const none = await fetch(`${url}/v1/payments`);
    expect(none.status).toBe(401);
    expect((await none.json()).error.code).toBe("missing_api_key");
    expect((await client(url, "nonsense")("GET", "/v1/payments")).body.error?.code).toBe("invalid_api_key");
    const stranger = `sk_test_ptr_${"0".repeat(24)}_${"a".repeat(32)}`;
    const unknown = await client(url, stranger)("GET", "/v1/payments");
    expect(unknown.status).toBe(401);
    expect(unknown.body.error?.code).toBe("invalid_api_key");
    expect(unknown.headers.get("request-id")).toBe(unknown.body.error?.request_id);
  });

  it("forwards the public API reference to a cell without a key", async () => {
    const res = await fetch(`${routers[1]!.url}/v1/openapi.json`);
    expect(res.status).toBe(200);
    expect((await res.json()).openapi).toBeDefined();
  });

  it("lets the cell answer 413 for a body over 64 KiB", async () => {
    const big = {
      amount: 100,
      currency: "eur",
      payment_method: card(),
      metadata: { pad: "x".repeat(70_000) },
    };
    const res = await client(routers[0]!.url, a.apiKey)("POST", "/v1/payments", big);
    expect(res.status).toBe(413);
    expect(res.body.error?.code).toBe("payload_too_large");
  });

  it("refuses a suspended partner with 403 partner_suspended, and only that partner", async () => {
    await publish(route(b.partnerId, "cell-b", { status: "suspended" }));
    const refused = await pay(routers[1]!.url, b.apiKey);
    expect(refused.status).toBe(403);
    expect(refused.body.error?.code).toBe("partner_suspended");
    expect((await pay(routers[1]!.url, a.apiKey)).status).toBe(201);
    await publish(route(b.partnerId, "cell-b"));
    expect((await pay(routers[1]!.url, b.apiKey)).status).toBe(201);
  });

  it("re-routes a partner to another cell when a delta moves it", async () => {
    await publish(route(a.partnerId, "cell-b"));
    const created = await pay(routers[0]!.url, a.apiKey);
    expect(created.status).toBe(201);
    const id = String(created.body.id);
    expect((await client(world.cells[1]!.url, a.apiKey)("GET", `/v1/payments/${id}`)).status).toBe(200);
    expect((await client(world.cells[0]!.url, a.apiKey)("GET", `/v1/payments/${id}`)).status).toBe(404);
    await publish(route(a.partnerId, "cell-a"));
  });

  it("resyncs the whole table after a version gap", async () => {
    // Version n+1 (suspend B) is never published; n+2 arrives, the routers see the gap and fetch.
    world.controlPlane.applySilently(route(b.partnerId, "cell-b", { status: "suspended" }));
    await publish({});
    for (const router of routers) expect((await pay(router.url, b.apiKey)).status).toBe(403);
    await publish(route(b.partnerId, "cell-b"));
  });

  it("holds a frozen partner's request until the move releases it to the new cell, while others flow", async () => {
    await publish(route(a.partnerId, "cell-a", { frozen: true }));
    let settled = false;
    const held = pay(routers[0]!.url, a.apiKey, { "idempotency-key": "held-1" }).finally(() => {
      settled = true;
    });
    // Another partner's request goes through the same router meanwhile.
    expect((await pay(routers[0]!.url, b.apiKey)).status).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(settled).toBe(false);
    // The flip: new cell and unfrozen in one version; the held request goes to cell B.
    await publish(route(a.partnerId, "cell-b"));
    const released = await held;
    expect(released.status).toBe(201);
    const id = String(released.body.id);
    expect((await client(world.cells[1]!.url, a.apiKey)("GET", `/v1/payments/${id}`)).status).toBe(200);
    await publish(route(a.partnerId, "cell-a"));
  });

  it("answers 503 partner_moving with Retry-After when a freeze outlasts the hold", async () => {
    await publish(route(a.partnerId, "cell-a", { frozen: true }));
    const res = await client(routers[1]!.url, a.apiKey)("GET", "/v1/payments");
    expect(res.status).toBe(503);
    expect(res.body.error?.code).toBe("partner_moving");
    expect(res.headers.get("retry-after")).toBe("1");
    await publish(route(a.partnerId, "cell-a"));
  });
});

describe("a partner over its rate limit", () => {
  it("is refused by the router itself once its cell said so, so a flood costs the cell little", async () => {
    const noisy = await world.cells[0]!.partner("Noisy");
    const sql = postgres(world.cells[0]!.infra.postgresUrl, { max: 1, onnotice: () => {} });
    await sql`update partners set settings = ${sql.json({ rate_limit: { rate: 1, burst: 2 } })} where id = ${noisy.partnerId}`;
    await sql.end();
    await publish(route(noisy.partnerId, "cell-a"));
    const call = client(routers[0]!.url, noisy.apiKey);
    const answers = [];
    for (let i = 0; i < 12; i++) answers.push(await call("GET", "/v1/payments?limit=1"));
    const limited = answers.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(9);
    for (const r of limited) {
      expect(r.body.error).toMatchObject({ code: "rate_limited", type: "rate_limit_error" });
      expect(Number(r.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    }
    // The cell's own 429 carries its RateLimit-* headers; the router's does not: most came from the router.
    const fromRouter = limited.filter((r) => r.headers.get("ratelimit-limit") === null);
    expect(fromRouter.length).toBeGreaterThanOrEqual(limited.length - 2);
    // Another partner on the same cell is not affected.
    expect((await pay(routers[0]!.url, a.apiKey)).status).toBe(201);
  });
});

describe("the public endpoint", () => {
  it("does not forward a cell's internal API or metrics, even with a partner key", async () => {
    for (const path of [
      "/internal/v1/health",
      "/internal/v1/partners/x/export/payments",
      "/metrics/../internal/v1/xid",
    ]) {
      const res = await client(routers[0]!.url, a.apiKey)("GET", path);
      expect(res.status).toBe(404);
      expect(res.body.error?.code).toBe("route_not_found");
    }
  });
});
