// Idempotency-Key semantics, against a real cell: replay, mismatch, concurrency, stored refusals.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { card, client, startTestCell, type TestCell } from "../harness.ts";

let cell: TestCell;
let call: ReturnType<typeof client>;
let sql: postgres.Sql;

beforeAll(async () => {
  cell = await startTestCell();
  const { apiKey } = await cell.partner();
  call = client(cell.url, apiKey);
  sql = postgres(cell.infra.postgresUrl, { max: 2, onnotice: () => {} });
});
afterAll(async () => {
  await sql?.end();
  await cell?.stop();
});

const body = (reference: string, extra: Record<string, unknown> = {}) => ({
  amount: 2500,
  currency: "EUR",
  payment_method: card(),
  reference,
  ...extra,
});
const countByReference = async (reference: string) =>
  (await sql<{ n: number }[]>`select count(*)::int as n from payments where reference = ${reference}`)[0]!.n;

describe("Idempotency-Key", () => {
  it("a retry with the same key and body replays the stored response, with a header saying so", async () => {
    const first = await call("POST", "/v1/payments", body("replay"), { "idempotency-key": "k-replay" });
    expect(first.status).toBe(201);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    const again = await call("POST", "/v1/payments", body("replay"), { "idempotency-key": "k-replay" });
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
    expect(await countByReference("replay")).toBe(1);
    expect(cell.acquirer.authorizationCount(String(first.body.id))).toBe(1);
  });

  it("the same body with keys in another order is the same request", async () => {
    const a = await call(
      "POST",
      "/v1/payments",
      { currency: "EUR", amount: 700, payment_method: card(), reference: "order" },
      { "idempotency-key": "k-order" },
    );
    const b = await call(
      "POST",
      "/v1/payments",
      { reference: "order", payment_method: card(), amount: 700, currency: "eur" },
      { "idempotency-key": "k-order" },
    );
    expect(b.headers.get("idempotent-replayed")).toBe("true");
    expect(b.body.id).toBe(a.body.id);
  });

  it("the same key with another body is a 422 and creates nothing", async () => {
    await call("POST", "/v1/payments", body("mismatch"), { "idempotency-key": "k-mismatch" });
    const other = await call("POST", "/v1/payments", body("mismatch", { amount: 2600 }), {
      "idempotency-key": "k-mismatch",
    });
    expect(other.status).toBe(422);
    expect(other.body.error).toMatchObject({ code: "idempotency_key_reused", type: "idempotency_error" });
    expect(await countByReference("mismatch")).toBe(1);
  });

  it("20 concurrent requests with one key: exactly one executes, the others get 409 or the replay", async () => {
    // The slow-approval card keeps the first request in flight while the others arrive.
    const request = body("concurrent", { payment_method: card("4000000000000259") });
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        call("POST", "/v1/payments", request, { "idempotency-key": "k-concurrent" }),
      ),
    );
    const executed = results.filter(
      (r) => r.status === 201 && r.headers.get("idempotent-replayed") !== "true",
    );
    const refused = results.filter((r) => r.status === 409);
    expect(executed).toHaveLength(1);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(r.body.error).toMatchObject({ code: "idempotency_key_in_use" });
      expect(r.headers.get("retry-after")).toBe("1");
    }
    for (const r of results) expect([201, 409]).toContain(r.status);
    expect(await countByReference("concurrent")).toBe(1);
    const id = String(executed[0]!.body.id);
    expect(cell.acquirer.authorizationCount(id)).toBe(1);
    const later = await call("POST", "/v1/payments", request, { "idempotency-key": "k-concurrent" });
    expect(later.body.id).toBe(id);
  });

  it("a refused request's answer is the key's answer: a retried invalid capture replays its 409", async () => {
    const auth = await call("POST", "/v1/payments", body("refusal", { capture_method: "manual" }));
    await call("POST", `/v1/payments/${auth.body.id}/cancel`);
    const first = await call(
      "POST",
      `/v1/payments/${auth.body.id}/capture`,
      {},
      { "idempotency-key": "k-refusal" },
    );
    expect(first.status).toBe(409);
    const again = await call(
      "POST",
      `/v1/payments/${auth.body.id}/capture`,
      {},
      { "idempotency-key": "k-refusal" },
    );
    expect(again.status).toBe(409);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
  });

  it("captures and refunds are idempotent too: a retried refund refunds once", async () => {
    const paid = await call("POST", "/v1/payments", body("refund-once"));
    const r1 = await call(
      "POST",
      "/v1/refunds",
      { payment_id: paid.body.id, amount: 1000 },
      { "idempotency-key": "k-refund" },
    );
    const r2 = await call(
      "POST",
      "/v1/refunds",
      { payment_id: paid.body.id, amount: 1000 },
      { "idempotency-key": "k-refund" },
    );
    expect(r2.body.id).toBe(r1.body.id);
    const payment = await call("GET", `/v1/payments/${paid.body.id}`);
    expect(payment.body).toMatchObject({ amount_refunded: 1000, status: "partially_refunded" });
  });

  it("a request whose gateway died mid-way is resumed by its retry once the lock is stale, charging once", async () => {
    // The state a crash between the two phases leaves: payment processing, key linked and locked.
    const first = await call(
      "POST",
      "/v1/payments",
      body("resume", { payment_method: card("4000000000000119") }),
      {
        "idempotency-key": "k-resume",
      },
    );
    expect(first.body.status).toBe("processing");
    await sql`update idempotency_keys set recovery_point = 'resource_created', locked_at = now() - interval '1 hour',
      response_status = null, response_body = null where key = 'k-resume'`;
    // The timeout card's authorization went through at the acquirer; the retry learns it, once.
    await new Promise((r) => setTimeout(r, 1100));
    const retry = await call(
      "POST",
      "/v1/payments",
      body("resume", { payment_method: card("4000000000000119") }),
      {
        "idempotency-key": "k-resume",
      },
    );
    expect(retry.status).toBe(201);
    expect(retry.body.id).toBe(first.body.id);
    expect(retry.body.status).toBe("succeeded");
    expect(cell.acquirer.authorizationCount(String(first.body.id))).toBe(1);
    expect(await countByReference("resume")).toBe(1);
  });

  it("a key still locked by a live request is a 409, never a second execution", async () => {
    await sql`insert into idempotency_keys (partner_id, livemode, key, request_hash, recovery_point, locked_at)
      select partner_id, livemode, 'k-locked', request_hash, 'started', now() from idempotency_keys where key = 'k-replay'`;
    const res = await call("POST", "/v1/payments", body("replay"), { "idempotency-key": "k-locked" });
    expect(res.status).toBe(409);
    expect(await countByReference("replay")).toBe(1);
  });
});
