// One partner provoking errors must not take its cell offline for the others: the router's breaker
// measures the cell (transport failures, timeouts, the cell's own "unavailable"), and a partner
// whose requests keep failing is throttled on its own (429 partner_throttled).
//
// The misbehaving cell is a stand-in HTTP server (a real server on a real port, standing in for a
// gateway with a bug one partner's requests hit): it answers 500 for partner A's key and 200 for
// partner B's. The router, which is what is under test, is the real one, routing from the
// control-plane stand-in's table. The dead-cell cases use a server that never answers, a port
// nobody listens on, and a real cell whose Postgres is killed.
import { createServer, type IncomingMessage, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../platform/free-port.ts";
import type { RunningRouter } from "../../router/create-router.ts";
import { eventually, type RoutingWorld, startRoutingWorld } from "../../router/testing/router-fixture.ts";

type Partner = { partnerId: string; apiKey: string };
type Answer = { status: number; code?: string; retryAfter: string | null };

let world: RoutingWorld;
let router: RunningRouter;
const standIns: StandIn[] = [];

interface StandIn {
  url: string;
  /** Partner requests received (health checks aside), by Authorization header. */
  seen: Map<string, number>;
  close(): Promise<void>;
}

const errorBody = (code: string) =>
  JSON.stringify({ error: { type: "api_error", code, message: code, request_id: "req_standin0001" } });

/** A gateway stand-in: healthy on /healthz, `answer` for everything else (undefined: never answer). */
async function standIn(
  answer: (req: IncomingMessage) => { status: number; body: string } | undefined,
): Promise<StandIn> {
  const seen = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    if (req.url === "/healthz") return void res.end('{"status":"ok"}');
    const key = req.headers.authorization ?? "";
    seen.set(key, (seen.get(key) ?? 0) + 1);
    req.resume();
    req.once("end", () => {
      const a = answer(req);
      if (a) res.writeHead(a.status, { "content-type": "application/json" }).end(a.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const s: StandIn = {
    url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  standIns.push(s);
  return s;
}

/** GET /v1/balance through the router, as the partner sees it. */
async function balance(partner: Partner): Promise<Answer> {
  const res = await fetch(`${router.url}/v1/balance`, {
    headers: { authorization: `Bearer ${partner.apiKey}` },
  });
  const body = (await res.json()) as { error?: { code?: string; type?: string; request_id?: string } };
  if (res.status >= 400) {
    // Every refusal is in the one error shape, whoever made it.
    expect(body.error).toMatchObject({ type: expect.any(String), request_id: expect.any(String) });
  }
  return { status: res.status, code: body.error?.code, retryAfter: res.headers.get("retry-after") };
}

/** `count` requests of one partner, `concurrency` at a time. */
async function burst(partner: Partner, count: number, concurrency: number): Promise<Answer[]> {
  const answers: Answer[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        answers.push(await balance(partner));
      }
    }),
  );
  return answers;
}

/** A fresh partner (a real key from the real cell) routed to `cell`, made of `gateways`. */
async function partnerOn(cell: string, gateways: string[], name: string): Promise<Partner> {
  const partner = await world.cells[0]!.partner(name);
  const version = await world.controlPlane.publish({
    cells: { [cell]: { state: "active", gateways } },
    partners: { [partner.partnerId]: { cell, status: "active", frozen: false } },
  });
  await eventually(() => router.store.table.version >= version);
  return partner;
}

const tally = (answers: Answer[]) => {
  const out: Record<string, number> = {};
  for (const a of answers) {
    const key = `${a.status} ${a.code ?? ""}`.trim();
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
};

beforeAll(async () => {
  world = await startRoutingWorld(1);
  router = await world.router("r1", {
    BREAKER_THRESHOLD: "5",
    BREAKER_COOL_DOWN_MS: "30000",
    REQUEST_TIMEOUT_MS: "500",
    PARTNER_ERROR_THRESHOLD: "20",
    PARTNER_THROTTLE_MS: "30000",
    // Slow checks: the stand-ins stay in rotation whatever they answer.
    HEALTH_CHECK_INTERVAL_MS: "60000",
  });
});

afterAll(async () => {
  await Promise.allSettled(standIns.map((s) => s.close()));
  await world?.stop();
});

describe("a partner provoking 500s", () => {
  it("is throttled on its own while another partner on the same cell sees 100% success", async () => {
    let aKey = "";
    const flaky = await standIn((req) =>
      req.headers.authorization === aKey
        ? { status: 500, body: errorBody("internal_error") }
        : { status: 200, body: '{"object":"balance","available":[]}' },
    );
    const a = await partnerOn("cell-flaky", [flaky.url], "Partner A (provokes 500s)");
    const b = await partnerOn("cell-flaky", [flaky.url], "Partner B");
    aKey = `Bearer ${a.apiKey}`;

    const [fromA, fromB] = await Promise.all([burst(a, 1000, 8), burst(b, 300, 2)]);

    expect(fromA).toHaveLength(1000);
    expect(tally(fromB)).toEqual({ "200": 300 });
    // A sees its own 500s, then the router's 429 for it alone; never the cell taken offline (503).
    const aTally = tally(fromA);
    expect(Object.keys(aTally).sort()).toEqual(["429 partner_throttled", "500 internal_error"]);
    for (const t of fromA.filter((x) => x.status === 429)) {
      expect(Number(t.retryAfter)).toBeGreaterThanOrEqual(1);
    }
    // The cell was spared most of A's flood: only the 500s A saw were ever sent to it.
    expect(flaky.seen.get(aKey)).toBe(aTally["500 internal_error"]);
    expect(aTally["500 internal_error"]).toBeLessThan(1000);
    expect(flaky.seen.get(`Bearer ${b.apiKey}`)).toBe(300);

    // And B keeps getting through afterwards, while A is still throttled.
    expect(await balance(b)).toMatchObject({ status: 200 });
    expect(await balance(a)).toMatchObject({ status: 429, code: "partner_throttled" });
  });

  it("does not open the breaker on the cell shedding load (503 overloaded): the cell keeps its traffic", async () => {
    const shedding = await standIn(() => ({ status: 503, body: errorBody("overloaded") }));
    const p = await partnerOn("cell-shedding", [shedding.url], "Partner on a shedding cell");
    const answers = await burst(p, 30, 1);
    expect(tally(answers)).toEqual({ "503 overloaded": 30 });
    expect(shedding.seen.get(`Bearer ${p.apiKey}`)).toBe(30);
  });
});

describe("a dead cell", () => {
  it("that never answers opens the breaker: after the threshold of timeouts, a fast 503 without sending", async () => {
    const hanging = await standIn(() => undefined);
    const p = await partnerOn("cell-hanging", [hanging.url], "Partner on a hanging cell");
    const answers = await burst(p, 12, 1);
    expect(answers.slice(0, 5).map((x) => `${x.status} ${x.code}`)).toEqual(
      Array(5).fill("504 upstream_timeout"),
    );
    expect(tally(answers.slice(5))).toEqual({ "503 cell_unavailable": 7 });
    expect(hanging.seen.get(`Bearer ${p.apiKey}`)).toBe(5);
  });

  it("that refuses connections answers 503 cell_unavailable at once", async () => {
    const p = await partnerOn(
      "cell-refusing",
      [`http://127.0.0.1:${await freePort()}`],
      "Partner on a refusing cell",
    );
    expect(tally(await burst(p, 10, 2))).toEqual({ "503 cell_unavailable": 10 });
  });

  it("whose Postgres is killed opens the breaker on its own 503 service_unavailable", async () => {
    const cell = world.cells[0]!;
    const p = await partnerOn("cell-a", [cell.url], "Partner on cell-a");
    expect(await balance(p)).toMatchObject({ status: 200 });
    const pg = cell.infra.processes[0]!;
    expect(pg.signal("SIGKILL")).toBe(true);
    await pg.exited;
    const answers = await burst(p, 12, 1);
    // The cell's own answers first (relayed), then the router's once the breaker has opened.
    const first = answers.findIndex((x) => x.code === "cell_unavailable");
    expect(first).toBeGreaterThan(0);
    expect(tally(answers.slice(0, first))).toEqual({ [`503 service_unavailable`]: first });
    expect(tally(answers.slice(first))).toEqual({ "503 cell_unavailable": answers.length - first });
  });
});
