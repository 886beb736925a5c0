// The router when things break: retries only where they cannot charge twice, a breaker that
// isolates a failing cell, a stopped gateway costing only its own partners, and a control plane
// outage (even across a router restart) that routing survives.
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../platform/free-port.ts";
import { card, client } from "../test/harness.ts";
import type { RunningRouter } from "./create-router.ts";
import { eventually, type RoutingWorld, startRoutingWorld } from "./testing/router-fixture.ts";

type Partner = { partnerId: string; apiKey: string };
let world: RoutingWorld;
let router: RunningRouter;
let a: Partner;
let b: Partner;

const pay = (url: string, apiKey: string, headers: Record<string, string> = {}) =>
  client(url, apiKey)(
    "POST",
    "/v1/payments",
    { amount: 700, currency: "eur", payment_method: card() },
    headers,
  );
const active = (cell: string) => ({ cell, status: "active" as const, frozen: false });

/** A fake gateway instance that counts the requests it receives and answers each with `answer`. */
async function fakeInstance(answer: (res: import("node:http").ServerResponse) => void) {
  const seen = { count: 0 };
  const server: Server = createServer((req, res) => {
    if (req.url === "/healthz") return void res.end("{}");
    seen.count++;
    req.resume();
    req.once("end", () => answer(res));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  return { url, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** Payments the partner has on the cell, read from the cell's gateway directly. */
async function paymentsOn(cellUrl: string, partner: Partner): Promise<number> {
  const list = await client(cellUrl, partner.apiKey)("GET", "/v1/payments?limit=100");
  return (list.body.data as unknown[]).length;
}

beforeAll(async () => {
  world = await startRoutingWorld(2);
  a = await world.cells[0]!.partner("Partner A");
  b = await world.cells[1]!.partner("Partner B");
  await world.controlPlane.publish({
    partners: { [a.partnerId]: active("cell-a"), [b.partnerId]: active("cell-b") },
  });
  // Slow health checks: the retry tests need the fake instances to stay in the rotation.
  router = await world.router("r1", { HEALTH_CHECK_INTERVAL_MS: "60000", BREAKER_THRESHOLD: "3" });
});

afterAll(async () => {
  await world?.stop();
});

/** A third cell made of `gateways`, with a fresh cell-A partner routed to it. */
async function cellOf(id: string, gateways: string[]): Promise<Partner> {
  const partner = await world.cells[0]!.partner(`Partner on ${id}`);
  const version = await world.controlPlane.publish({
    cells: { [id]: { state: "active", gateways } },
    partners: { [partner.partnerId]: active(id) },
  });
  await eventually(() => router.store.table.version >= version);
  return partner;
}

describe("router: retries", () => {
  it("retries a refused connection on another instance, for any method", async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const p = await cellOf("cell-refusing", [dead, world.cells[0]!.url]);
    const answers = [await pay(router.url, p.apiKey), await pay(router.url, p.apiKey)];
    expect(answers.map((r) => r.status)).toEqual([201, 201]);
    expect(await paymentsOn(world.cells[0]!.url, p)).toBe(2);
  });

  it("does not resend a POST without Idempotency-Key once it was sent, but does with one", async () => {
    const resetting = await fakeInstance((res) => res.socket?.destroy());
    const p = await cellOf("cell-resetting", [resetting.url, world.cells[0]!.url]);
    // Round-robin: one of two requests goes to the resetting instance first.
    const plain = [await pay(router.url, p.apiKey), await pay(router.url, p.apiKey)];
    expect(plain.map((r) => r.status).sort()).toEqual([201, 503]);
    expect(plain.find((r) => r.status === 503)?.body.error?.code).toBe("cell_unavailable");
    expect(resetting.seen.count).toBe(1);
    expect(await paymentsOn(world.cells[0]!.url, p)).toBe(1);

    const keyed = [
      await pay(router.url, p.apiKey, { "idempotency-key": "retry-1" }),
      await pay(router.url, p.apiKey, { "idempotency-key": "retry-2" }),
    ];
    expect(keyed.map((r) => r.status)).toEqual([201, 201]);
    expect(resetting.seen.count).toBe(2);
    expect(await paymentsOn(world.cells[0]!.url, p)).toBe(3);
    await resetting.close();
  });
});

describe("router: isolation", () => {
  it("opens the breaker when the cell says it is unavailable: the cell stops receiving requests, others are untouched", async () => {
    // What a gateway answers when its Postgres is gone (cell/gateway/error-handler.ts).
    const down = JSON.stringify({
      error: { type: "api_error", code: "service_unavailable", message: "down", request_id: "req_x" },
    });
    const broken = await fakeInstance((res) =>
      res.writeHead(503, { "content-type": "application/json", "retry-after": "2" }).end(down),
    );
    const p = await cellOf("cell-broken", [broken.url]);
    for (let i = 0; i < 3; i++) {
      const relayed = await pay(router.url, p.apiKey);
      expect(relayed.status).toBe(503);
      expect(relayed.body.error?.code).toBe("service_unavailable");
    }
    const refused = await pay(router.url, p.apiKey);
    expect(refused.status).toBe(503);
    expect(refused.body.error?.code).toBe("cell_unavailable");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(broken.seen.count).toBe(3);
    expect((await pay(router.url, a.apiKey)).status).toBe(201);
    await broken.close();
  });

  it("gives a stopped cell's partners a 503 cell_unavailable while the other cell's partners get 201s", async () => {
    await world.cells[1]!.gateway.close();
    for (let i = 0; i < 5; i++) {
      const refused = await pay(router.url, b.apiKey);
      expect(refused.status).toBe(503);
      expect(refused.body.error?.code).toBe("cell_unavailable");
      expect(refused.headers.get("retry-after")).toBeTruthy();
      expect((await pay(router.url, a.apiKey)).status).toBe(201);
    }
  });
});

describe("router: static stability", () => {
  it("keeps routing with the control plane down, and a router restarted meanwhile serves from its snapshot", async () => {
    await world.controlPlane.stop();
    await world.nats.stop();
    expect((await pay(router.url, a.apiKey)).status).toBe(201);

    const version = router.store.table.version;
    await router.close();
    const restarted = await world.router("r1");
    expect(restarted.store.table.version).toBe(version);
    const ready = await fetch(`${restarted.url}/readyz`);
    expect(ready.status).toBe(200);
    expect((await pay(restarted.url, a.apiKey)).status).toBe(201);
    await restarted.close();
  });
});
