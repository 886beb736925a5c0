// Caching and per-partner limits inside one cell, against real Redis and Postgres processes:
// reads through Redis never go back in time, Redis dying costs no payment, a noisy partner is
// throttled while a quiet one sees no failure, and a gateway at capacity answers a fast 503.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { paymentCacheKey } from "../../cell/cache/payment-cache.ts";
import { card, client, startTestCell, type TestCell } from "../harness.ts";

let cell: TestCell;
let sql: postgres.Sql;

beforeAll(async () => {
  cell = await startTestCell({ RATE_LIMIT_RATE: "1000", RATE_LIMIT_BURST: "1000" });
  sql = postgres(cell.infra.postgresUrl, { max: 2, onnotice: () => {} });
});
afterAll(async () => {
  await sql?.end();
  await cell?.stop();
});

const payment = (extra: Record<string, unknown> = {}) => ({
  amount: 500,
  currency: "EUR",
  payment_method: card(),
  ...extra,
});
const setSettings = (partnerId: string, settings: object) =>
  sql`update partners set settings = ${sql.json(settings as never)} where id = ${partnerId}`;

describe("payment reads through Redis", () => {
  it("a read after a write returns the written status, never the cached older one", async () => {
    const { partnerId, apiKey } = await cell.partner();
    const call = client(cell.url, apiKey);
    const auth = await call("POST", "/v1/payments", payment({ capture_method: "manual" }));
    const first = await call("GET", `/v1/payments/${auth.body.id}`);
    expect(first.body.status).toBe("requires_capture");
    expect(await cell.gateway.deps.redis!.get(paymentCacheKey(partnerId, auth.body.id as string))).toContain(
      "requires_capture",
    );
    for (let i = 0; i < 5; i++) await call("GET", `/v1/payments/${auth.body.id}`);
    await call("POST", `/v1/payments/${auth.body.id}/capture`, { amount: 300 });
    const afterCapture = await call("GET", `/v1/payments/${auth.body.id}`);
    expect(afterCapture.body).toMatchObject({ status: "succeeded", amount_captured: 300 });
    await call("POST", "/v1/refunds", { payment_id: auth.body.id, amount: 100 });
    const afterRefund = await call("GET", `/v1/payments/${auth.body.id}`);
    expect(afterRefund.body).toMatchObject({ status: "partially_refunded", amount_refunded: 100 });
  });

  it("a stale fill racing a write cannot overwrite the newer version", async () => {
    const { partnerId, apiKey } = await cell.partner();
    const call = client(cell.url, apiKey);
    const auth = await call("POST", "/v1/payments", payment({ capture_method: "manual" }));
    const id = String(auth.body.id);
    await call("POST", `/v1/payments/${id}/cancel`);
    // A reader that loaded version 2 (requires_capture) before the cancel (version 3) fills late.
    await cell.gateway.deps.paymentCache.fill(partnerId, id, 2, {
      ...auth.body,
      status: "requires_capture",
    } as never);
    const read = await call("GET", `/v1/payments/${id}`);
    expect(read.body.status).toBe("canceled");
  });
});

describe("per-partner limits", () => {
  it("a noisy partner at 20x its limit gets 429s with Retry-After while a quiet partner sees no failure", async () => {
    const noisy = await cell.partner("Noisy");
    const quiet = await cell.partner("Quiet");
    await setSettings(noisy.partnerId, { rate_limit: { rate: 10, burst: 10 } });
    const noisyCall = client(cell.url, noisy.apiKey);
    const quietCall = client(cell.url, quiet.apiKey);
    const started = Date.now();
    const noisyResults: { status: number; headers: Headers; body: Record<string, unknown> }[] = [];
    const quietStatuses: number[] = [];
    // Noisy: 200 requests/s for 1 s (its limit is 10/s). Quiet: 10 payments/s alongside.
    const noisyLoad = (async () => {
      const inFlight: Promise<void>[] = [];
      for (let i = 0; i < 200; i++) {
        inFlight.push(noisyCall("GET", "/v1/payments?limit=1").then((r) => void noisyResults.push(r)));
        await new Promise((r) => setTimeout(r, 5));
      }
      await Promise.all(inFlight);
    })();
    const quietLoad = (async () => {
      for (let i = 0; i < 10; i++) {
        const r = await quietCall("POST", "/v1/payments", payment(), { "idempotency-key": `quiet-${i}` });
        quietStatuses.push(r.status);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await Promise.all([noisyLoad, quietLoad]);
    const elapsed = (Date.now() - started) / 1000;

    expect(quietStatuses).toEqual(Array(10).fill(201));
    const limited = noisyResults.filter((r) => r.status === 429);
    const passed = noisyResults.filter((r) => r.status === 200);
    expect(limited.length).toBeGreaterThan(100);
    expect(passed.length).toBeLessThanOrEqual(10 + Math.ceil(10 * elapsed) + 2);
    for (const r of limited) {
      expect(r.body.error).toMatchObject({ code: "rate_limited", type: "rate_limit_error" });
      expect(Number(r.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(r.headers.get("ratelimit-limit")).toBe("10");
      expect(r.headers.get("ratelimit-remaining")).toBe("0");
    }
  });

  it("the bulkhead caps one partner's requests in progress; another partner is unaffected", async () => {
    const crowded = await cell.partner("Crowded");
    const other = await cell.partner("Other");
    await setSettings(crowded.partnerId, { max_concurrency: 2 });
    const slow = payment({ payment_method: card("4000000000000259") }); // 50 ms at the acquirer here
    const crowdedCall = client(cell.url, crowded.apiKey);
    const otherCall = client(cell.url, other.apiKey);
    const [crowdedResults, otherResults] = await Promise.all([
      Promise.all(Array.from({ length: 8 }, () => crowdedCall("POST", "/v1/payments", slow))),
      Promise.all(Array.from({ length: 4 }, () => otherCall("POST", "/v1/payments", slow))),
    ]);
    const refused = crowdedResults.filter((r) => r.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) expect(r.body.error?.code).toBe("too_many_concurrent_requests");
    expect(crowdedResults.filter((r) => r.status === 201).length).toBeGreaterThanOrEqual(2);
    expect(otherResults.map((r) => r.status)).toEqual([201, 201, 201, 201]);
  });
});

describe("Redis stopped while payments flow", () => {
  it("payments, reads and limits keep working from Postgres and local buckets; no 5xx", async () => {
    const { apiKey } = await cell.partner("Through the outage");
    const call = client(cell.url, apiKey);
    const before = await call("POST", "/v1/payments", payment());
    expect(before.status).toBe(201);
    await cell.infra.processes[1]!.stop(); // the cell's redis-server, by pid
    const statuses: number[] = [];
    const ids: string[] = [];
    const manualIds: string[] = [];
    await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const manual = i % 2 === 1;
        const res = await call(
          "POST",
          "/v1/payments",
          payment({ capture_method: manual ? "manual" : "automatic" }),
        );
        statuses.push(res.status);
        ids.push(String(res.body.id));
        if (manual) manualIds.push(String(res.body.id));
      }),
    );
    expect(statuses.every((s) => s === 201)).toBe(true);
    for (const id of [String(before.body.id), ...ids.slice(0, 5)]) {
      const read = await call("GET", `/v1/payments/${id}`);
      expect(read.status).toBe(200);
    }
    const capture = await call("POST", `/v1/payments/${manualIds[0]}/capture`, {});
    expect(capture.status).toBe(200);
    const read = await call("GET", `/v1/payments/${manualIds[0]}`);
    expect(read.body.status).toBe("succeeded");
    expect(cell.gateway.deps.redisHealth.degraded).toBeGreaterThan(0);
    const logs = cell.logLines.filter((l) => l.includes("redis"));
    expect(logs.length).toBeGreaterThan(0);
  });
});

describe("admission control", () => {
  it("past its in-flight bound a gateway answers a fast 503 with Retry-After, and nothing is half-written", async () => {
    const { startGateway } = await import("../../cell/gateway/create-gateway.ts");
    const { parseGatewayEnv } = await import("../../cell/gateway/config.ts");
    const small = await startGateway(
      parseGatewayEnv({
        CELLPAY_CELL_ID: "cell-test",
        PORT: "0",
        INTERNAL_PORT: "0",
        DATABASE_URL: cell.infra.postgresUrl,
        CELLPAY_MASTER_KEY: cell.masterKey,
        MAX_IN_FLIGHT: "3",
        LOG_LEVEL: "silent",
      }),
      cell.gateway.deps.logger,
      cell.acquirer,
    );
    try {
      const { apiKey } = await cell.partner("Crowd");
      const call = client(small.url, apiKey);
      const slow = payment({ payment_method: card("4000000000000259"), reference: "admission" });
      const results = await Promise.all(Array.from({ length: 12 }, () => call("POST", "/v1/payments", slow)));
      const shed = results.filter((r) => r.status === 503);
      const done = results.filter((r) => r.status === 201);
      expect(shed.length).toBeGreaterThan(0);
      expect(done.length + shed.length).toBe(12);
      for (const r of shed) {
        expect(r.body.error).toMatchObject({ code: "overloaded" });
        expect(r.headers.get("retry-after")).toBe("1");
      }
      const [row] = await sql<
        { n: number }[]
      >`select count(*)::int as n from payments where reference = 'admission'`;
      expect(row!.n).toBe(done.length);
    } finally {
      await small.close();
    }
  });
});
