// Two partners in one cell never see or touch each other's resources: another partner's id answers
// exactly like an id that does not exist, and Idempotency-Keys are scoped per partner.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { card, client, startTestCell, type TestCell } from "../harness.ts";

type Call = ReturnType<typeof client>;
type Answer = Awaited<ReturnType<Call>>;

let cell: TestCell;
let sql: postgres.Sql;
let a: Call;
let b: Call;
let partnerA: string;
let partnerB: string;
/** A's resources: a captured payment, an authorization, a refund of the first, a vaulted card. */
let paidA: string;
let authorizedA: string;
let refundA: string;
let tokenA: string;

const pay = (call: Call, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  call("POST", "/v1/payments", { amount: 5000, currency: "eur", payment_method: card(), ...extra }, headers);

beforeAll(async () => {
  cell = await startTestCell();
  const keyA = await cell.partner("Partner A");
  const keyB = await cell.partner("Partner B");
  partnerA = keyA.partnerId;
  partnerB = keyB.partnerId;
  a = client(cell.url, keyA.apiKey);
  b = client(cell.url, keyB.apiKey);
  sql = postgres(cell.infra.postgresUrl, { max: 2, onnotice: () => {} });

  paidA = String((await pay(a)).body.id);
  authorizedA = String((await pay(a, { capture_method: "manual" })).body.id);
  const refund = await a("POST", "/v1/refunds", { payment_id: paidA, amount: 1000 });
  expect(refund.status).toBe(201);
  refundA = String(refund.body.id);
  const token = await a("POST", "/v1/card_tokens", { card: card("5555555555554444").card });
  expect(token.status).toBe(201);
  tokenA = String(token.body.id);
  // B has a history of its own, so its list is not trivially empty.
  expect((await pay(b, { amount: 700 })).status).toBe(201);
});
afterAll(async () => {
  await sql?.end({ timeout: 5 });
  await cell?.stop();
});

/** An id of the same kind and length as `id` that nobody has. */
const madeUp = (id: string) =>
  `${id.slice(0, id.indexOf("_") + 1)}${"z".repeat(id.length - id.indexOf("_") - 1)}`;

/** What B sees, with the id taken out of the message: must equal what a made-up id gives. */
function seen(res: Answer, id: string) {
  const error = res.body.error ?? {};
  return {
    status: res.status,
    type: error.type,
    code: error.code,
    param: error.param,
    message: String(error.message).replaceAll(id, "<id>"),
    keys: Object.keys(error).sort(),
  };
}

async function expectSameAsMadeUp(request: (id: string) => Promise<Answer>, realId: string) {
  const forOther = await request(realId);
  const forNobody = await request(madeUp(realId));
  expect(forOther.status).toBe(404);
  expect(forOther.body.error?.code).toBe("resource_not_found");
  expect(seen(forOther, realId)).toEqual(seen(forNobody, madeUp(realId)));
  return forOther;
}

async function paymentRow(id: string) {
  const [row] = await sql<
    { partner_id: string; status: string; amount_captured: number; amount_refunded: number }[]
  >`
    select partner_id, status, amount_captured::int, amount_refunded::int from payments where id = ${id}`;
  return row;
}

describe("B asking for A's resources gets exactly the 404 of an id that does not exist", () => {
  it("GET A's payment", async () => {
    const res = await expectSameAsMadeUp((id) => b("GET", `/v1/payments/${id}`), paidA);
    expect(JSON.stringify(res.body)).not.toContain('"amount"');
  });

  it("capture A's authorization, which stays uncaptured for A", async () => {
    await expectSameAsMadeUp((id) => b("POST", `/v1/payments/${id}/capture`, {}), authorizedA);
    const forA = await a("GET", `/v1/payments/${authorizedA}`);
    expect(forA.body).toMatchObject({
      status: "requires_capture",
      amount_captured: 0,
      amount_capturable: 5000,
    });
    expect(await paymentRow(authorizedA)).toMatchObject({ partner_id: partnerA, status: "requires_capture" });
  });

  it("cancel A's authorization, which stays open for A", async () => {
    await expectSameAsMadeUp((id) => b("POST", `/v1/payments/${id}/cancel`), authorizedA);
    const forA = await a("GET", `/v1/payments/${authorizedA}`);
    expect(forA.body.status).toBe("requires_capture");
  });

  it("refund A's payment by payment_id: no refund is written and A's payment is untouched", async () => {
    const res = await expectSameAsMadeUp(
      (id) => b("POST", "/v1/refunds", { payment_id: id, amount: 100 }),
      paidA,
    );
    expect(res.body.error?.param).toBe("payment_id");
    const refunds = await sql<
      { partner_id: string }[]
    >`select partner_id from refunds where payment_id = ${paidA}`;
    expect(refunds.map((r) => r.partner_id)).toEqual([partnerA]);
    expect(await paymentRow(paidA)).toMatchObject({ amount_captured: 5000, amount_refunded: 1000 });
  });

  it("GET A's refund", async () => {
    await expectSameAsMadeUp((id) => b("GET", `/v1/refunds/${id}`), refundA);
  });

  it("A still sees all of its own resources", async () => {
    expect((await a("GET", `/v1/payments/${paidA}`)).status).toBe(200);
    expect((await a("GET", `/v1/refunds/${refundA}`)).status).toBe(200);
  });
});

describe("lists are scoped to the caller", () => {
  it("B's payment list never contains A's payments, however it is filtered or paged", async () => {
    const aIds = new Set([paidA, authorizedA]);
    const queries = [
      "/v1/payments?limit=100",
      "/v1/payments?status=requires_capture",
      "/v1/payments?status=partially_refunded",
      `/v1/payments?starting_after=${"pay_".padEnd(paidA.length, "z")}`,
      "/v1/payments?created[gte]=0",
    ];
    for (const query of queries) {
      const res = await b("GET", query);
      expect(res.status).toBe(200);
      const ids = (res.body.data as { id: string }[]).map((p) => p.id);
      expect(ids.filter((id) => aIds.has(id))).toEqual([]);
    }
    const all = await b("GET", "/v1/payments?limit=100");
    const rows = await sql<
      { id: string }[]
    >`select id from payments where partner_id = ${partnerB} order by id desc`;
    expect((all.body.data as { id: string }[]).map((p) => p.id)).toEqual(rows.map((r) => r.id));
  });

  it("B's refund list is empty, even when filtered by A's payment id", async () => {
    for (const query of ["/v1/refunds", `/v1/refunds?payment_id=${paidA}`]) {
      const res = await b("GET", query);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ data: [], has_more: false });
    }
    const forA = await a("GET", `/v1/refunds?payment_id=${paidA}`);
    expect((forA.body.data as { id: string }[]).map((r) => r.id)).toEqual([refundA]);
  });
});

describe("card tokens and idempotency keys are per partner", () => {
  it("B cannot pay with A's card token: 400 token_not_found, exactly like a made-up token", async () => {
    const withToken = (token: string) => pay(b, { payment_method: { type: "card_token", token } });
    const res = await withToken(tokenA);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "token_not_found", param: "payment_method.token" });
    expect(seen(res, tokenA)).toEqual(seen(await withToken(madeUp(tokenA)), madeUp(tokenA)));
    expect(JSON.stringify(res.body)).not.toContain("4444");
    const [count] = await sql<{ n: number }[]>`
      select count(*)::int as n from payments where partner_id = ${partnerB} and card_token_id = ${tokenA}`;
    expect(count?.n).toBe(0);
    const forA = await pay(a, { payment_method: { type: "card_token", token: tokenA } });
    expect(forA.body).toMatchObject({ status: "succeeded", card_token: tokenA });
  });

  it("the same Idempotency-Key used by A and by B makes two payments, neither a replay", async () => {
    const headers = { "idempotency-key": "order-42" };
    const fromA = await pay(a, { amount: 4200 }, headers);
    const fromB = await pay(b, { amount: 4200 }, headers);
    expect([fromA.status, fromB.status]).toEqual([201, 201]);
    expect(fromA.body.id).not.toBe(fromB.body.id);
    expect(fromA.headers.get("idempotent-replayed")).toBeNull();
    expect(fromB.headers.get("idempotent-replayed")).toBeNull();
    expect(await paymentRow(String(fromA.body.id))).toMatchObject({ partner_id: partnerA });
    expect(await paymentRow(String(fromB.body.id))).toMatchObject({ partner_id: partnerB });

    // Each partner's retry replays its own payment, never the other's.
    const retryB = await pay(b, { amount: 4200 }, headers);
    expect(retryB.headers.get("idempotent-replayed")).toBe("true");
    expect(retryB.body.id).toBe(fromB.body.id);
    const retryA = await pay(a, { amount: 4200 }, headers);
    expect(retryA.body.id).toBe(fromA.body.id);

    const keys = await sql<{ partner_id: string }[]>`
      select partner_id from idempotency_keys where key = 'order-42' order by partner_id`;
    expect(keys.map((k) => k.partner_id)).toEqual([partnerA, partnerB].sort());
  });

  it("B reusing A's key with another body is a fresh request for B, not a 422", async () => {
    const headers = { "idempotency-key": "order-43" };
    expect((await pay(a, { amount: 4300 }, headers)).status).toBe(201);
    const fromB = await pay(b, { amount: 9999, currency: "usd" }, headers);
    expect(fromB.status).toBe(201);
    expect(fromB.body).toMatchObject({ amount: 9999, currency: "USD" });
  });
});
