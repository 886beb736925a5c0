// Admission control against a real cell: a request that waited past the queue budget since the
// router sent it is shed with 503 overloaded before any work (no row, no key), while a fresh one
// and one with an implausible stamp (clock skew, not queueing) go through.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { card, client, startTestCell, type TestCell } from "../harness.ts";

let cell: TestCell;
let call: ReturnType<typeof client>;
let sql: postgres.Sql;

beforeAll(async () => {
  cell = await startTestCell({ QUEUE_BUDGET_MS: "2000" });
  const { apiKey } = await cell.partner();
  call = client(cell.url, apiKey);
  sql = postgres(cell.infra.postgresUrl, { max: 1, onnotice: () => {} });
});
afterAll(async () => {
  await sql?.end();
  await cell?.stop();
});

const pay = (reference: string) => ({ amount: 900, currency: "EUR", payment_method: card(), reference });
const sentAgo = (ms: number) => ({ "cellpay-forwarded-at": String(Date.now() - ms) });

describe("admission by queue age", () => {
  it("sheds a request that waited past the budget, before doing anything", async () => {
    const res = await call("POST", "/v1/payments", pay("stale"), {
      ...sentAgo(5_000),
      "idempotency-key": "stale",
    });
    expect(res.status).toBe(503);
    expect(res.body.error?.code).toBe("overloaded");
    expect(res.headers.get("retry-after")).toBe("1");
    const rows = await sql`select 1 from payments where reference = 'stale'`;
    expect(rows.length).toBe(0);
    const keys = await sql`select 1 from idempotency_keys where key = 'stale'`;
    expect(keys.length).toBe(0);
  });

  it("serves a request sent just now, and one whose stamp can only be clock skew", async () => {
    const fresh = await call("POST", "/v1/payments", pay("fresh"), sentAgo(10));
    expect(fresh.status).toBe(201);
    const skewed = await call("POST", "/v1/payments", pay("skewed"), sentAgo(3_600_000));
    expect(skewed.status).toBe(201);
  });
});
