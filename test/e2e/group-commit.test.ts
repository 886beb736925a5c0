// Group commit (cell/db/statement-batcher.ts + db/queries/payment-batches.ts) against a real cell:
// concurrent payments share statements, and sharing changes nothing a partner can see: every
// payment is written once with its event and its key's response, one key still yields one payment,
// and a change guarded out or refused in a batch leaves the batch's other payments applied.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changePayments, insertProcessingPayments } from "../../cell/db/queries/payment-batches.ts";
import { newId } from "../../shared/ids.ts";
import { card, client, startTestCell, type TestCell } from "../harness.ts";

let cell: TestCell;
let call: ReturnType<typeof client>;
let partnerId: string;
let sql: postgres.Sql;

beforeAll(async () => {
  // 120 at once, above the default per-partner concurrency (64): this suite is about group commit.
  cell = await startTestCell({
    RATE_LIMIT_RATE: "10000",
    RATE_LIMIT_BURST: "10000",
    PARTNER_MAX_CONCURRENCY: "500",
  });
  const p = await cell.partner();
  partnerId = p.partnerId;
  call = client(cell.url, p.apiKey);
  sql = postgres(cell.infra.postgresUrl, { max: 2, onnotice: () => {} });
});
afterAll(async () => {
  await sql?.end();
  await cell?.stop();
});

const pay = (reference: string) => ({ amount: 1200, currency: "EUR", payment_method: card(), reference });

describe("group commit", () => {
  it("concurrent payments share statements, and each is written once with its event and key", async () => {
    const before = cell.gateway.deps.paymentWrites.stats();
    const results = await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        call("POST", "/v1/payments", pay(`gc-${i}`), { "idempotency-key": `gc-key-${i}` }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(results.map(() => 201));
    const after = cell.gateway.deps.paymentWrites.stats();
    const items = after.items - before.items;
    expect(items).toBe(240); // phase 1 and phase 2 of each payment
    expect(after.statements - before.statements).toBeLessThan(items);

    const rows = await sql<{ n: number; succeeded: number }[]>`
      select count(*)::int as n, count(*) filter (where status = 'succeeded')::int as succeeded
      from payments where reference like 'gc-%'`;
    expect(rows[0]).toEqual({ n: 120, succeeded: 120 });
    const events = await sql<{ n: number }[]>`
      select count(*)::int as n from events e join payments p on p.id = e.data->>'id'
      where p.reference like 'gc-%'`;
    expect(events[0]!.n).toBe(120);
    const keys = await sql<{ n: number }[]>`
      select count(*)::int as n from idempotency_keys
      where key like 'gc-key-%' and recovery_point = 'finished' and response_status = 201`;
    expect(keys[0]!.n).toBe(120);
    // Each key replays its own payment, not a neighbour's from the same statement.
    const replay = await call("POST", "/v1/payments", pay("gc-7"), { "idempotency-key": "gc-key-7" });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body.id).toBe(results[7]!.body.id);
  });

  it("20 concurrent requests with one key still make one payment", async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        call("POST", "/v1/payments", pay("gc-one"), { "idempotency-key": "gc-one" }),
      ),
    );
    const ids = new Set(results.filter((r) => r.status === 201).map((r) => r.body.id));
    expect(ids.size).toBe(1);
    for (const r of results) expect([201, 409]).toContain(r.status);
    const n = await sql<{ n: number }[]>`select count(*)::int as n from payments where reference = 'gc-one'`;
    expect(n[0]!.n).toBe(1);
  });

  it("in one statement, an item whose key is taken or whose status moved on is skipped alone", async () => {
    const base = {
      partner_id: partnerId,
      status: "processing" as const,
      amount: 500,
      currency: "EUR",
      capture_method: "automatic" as const,
      amount_capturable: 0,
      amount_captured: 0,
      amount_refunded: 0,
      card_brand: "visa",
      card_bin: "424242",
      card_last4: "4242",
      card_exp_month: 12,
      card_exp_year: 2034,
      card_fingerprint: "fp",
      card_token_id: null,
      description: null,
      reference: "gc-direct",
      metadata: { k: "v" },
      livemode: false,
    };
    const [a, b, c] = [newId("pay"), newId("pay"), newId("pay")];
    await sql`insert into idempotency_keys (partner_id, livemode, key, request_hash, recovery_point, locked_at)
      values (${partnerId}, false, 'gc-taken', 'h', 'started', now())`;
    const inserted = await insertProcessingPayments(cell.gateway.deps.sql, [
      { payment: { ...base, id: a }, idem: { key: "gc-a", claimWithHash: "ha" } },
      { payment: { ...base, id: b }, idem: { key: "gc-taken", claimWithHash: "hb" } },
      { payment: { ...base, id: c }, idem: null },
    ]);
    expect(inserted.map((r) => r.claimed)).toEqual([true, false, true]);
    expect(inserted[0]!.createdAt).toBeInstanceOf(Date);
    const stored = await sql`select id, metadata from payments where reference = 'gc-direct' order by id`;
    expect(stored.map((r) => r.id).sort()).toEqual([a, c].sort());
    expect(stored[0]!.metadata).toEqual({ k: "v" });

    const change = {
      status: "succeeded" as const,
      amount_capturable: 0,
      amount_captured: 500,
      amount_refunded: 0,
    };
    const versions = await changePayments(cell.gateway.deps.sql, [
      {
        target: { id: a, scope: { partnerId, livemode: false }, from: ["processing"] },
        change,
        event: { id: newId("evt"), type: "payment.captured", data: { id: a } },
        finish: { key: "gc-a", status: 201, body: { id: a } },
      },
      {
        target: { id: c, scope: { partnerId, livemode: false }, from: ["requires_capture"] }, // c is processing: guarded out
        change,
        event: { id: newId("evt"), type: "payment.captured", data: { id: c } },
        finish: null,
      },
    ]);
    expect(versions).toEqual([2, undefined]);
    const after = await sql`select id, status from payments where reference = 'gc-direct' order by id`;
    expect(Object.fromEntries(after.map((r) => [r.id, r.status]))).toEqual({
      [a]: "succeeded",
      [c]: "processing",
    });
    const ev = await sql`select data->>'id' as id from events where data->>'id' in (${a}, ${c})`;
    expect(ev.map((r) => r.id)).toEqual([a]);
    const key = await sql`select recovery_point, response_status from idempotency_keys where key = 'gc-a'`;
    expect(key[0]).toEqual({ recovery_point: "finished", response_status: 201 });
  });
});
