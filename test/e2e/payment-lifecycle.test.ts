// The payment lifecycle a partner sees, against a real cell (Postgres, Redis, NATS processes).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { card, client, startTestCell, type TestCell } from "../harness.ts";

let cell: TestCell;
let call: ReturnType<typeof client>;

beforeAll(async () => {
  cell = await startTestCell();
  const { apiKey } = await cell.partner();
  call = client(cell.url, apiKey);
});
afterAll(() => cell?.stop());

const pay = (extra: Record<string, unknown> = {}) =>
  call("POST", "/v1/payments", { amount: 1999, currency: "eur", payment_method: card(), ...extra });

describe("payments", () => {
  it("an automatic-capture payment succeeds at once, with a masked card and upper-case currency", async () => {
    const res = await pay();
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      object: "payment",
      status: "succeeded",
      amount: 1999,
      amount_captured: 1999,
      amount_capturable: 0,
      currency: "EUR",
      capture_method: "automatic",
      card: { brand: "visa", last4: "4242", exp_month: 12, exp_year: 2034 },
      failure_code: null,
    });
    expect(String(res.body.id)).toMatch(/^pay_/);
    expect(JSON.stringify(res.body)).not.toContain("4242424242424242");
    const again = await call("GET", `/v1/payments/${res.body.id}`);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(res.body);
  });

  it("a manual payment is authorized, then captured in part, then refunded in several parts up to the capture", async () => {
    const auth = await pay({ capture_method: "manual", amount: 10_000 });
    expect(auth.body).toMatchObject({
      status: "requires_capture",
      amount_capturable: 10_000,
      amount_captured: 0,
    });
    const captured = await call("POST", `/v1/payments/${auth.body.id}/capture`, { amount: 6000 });
    expect(captured.status).toBe(200);
    expect(captured.body).toMatchObject({ status: "succeeded", amount_captured: 6000, amount_capturable: 0 });

    const r1 = await call("POST", "/v1/refunds", {
      payment_id: auth.body.id,
      amount: 2500,
      reason: "requested_by_customer",
    });
    expect(r1.status).toBe(201);
    expect(r1.body).toMatchObject({ object: "refund", status: "succeeded", amount: 2500, currency: "EUR" });
    const afterFirst = await call("GET", `/v1/payments/${auth.body.id}`);
    expect(afterFirst.body).toMatchObject({ status: "partially_refunded", amount_refunded: 2500 });

    const tooMuch = await call("POST", "/v1/refunds", { payment_id: auth.body.id, amount: 3501 });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body.error?.code).toBe("amount_exceeds_refundable");

    const rest = await call("POST", "/v1/refunds", { payment_id: auth.body.id });
    expect(rest.body).toMatchObject({ amount: 3500, status: "succeeded" });
    const final = await call("GET", `/v1/payments/${auth.body.id}`);
    expect(final.body).toMatchObject({ status: "refunded", amount_refunded: 6000 });

    const list = await call("GET", `/v1/refunds?payment_id=${auth.body.id}`);
    expect((list.body.data as { id: string }[]).map((r) => r.id)).toEqual([rest.body.id, r1.body.id]);
    const one = await call("GET", `/v1/refunds/${r1.body.id}`);
    expect(one.body).toEqual(r1.body);
  });

  it("an authorization can be canceled, and every invalid transition answers 409 naming the current status", async () => {
    const auth = await pay({ capture_method: "manual" });
    const canceled = await call("POST", `/v1/payments/${auth.body.id}/cancel`);
    expect(canceled.status).toBe(200);
    expect(canceled.body).toMatchObject({ status: "canceled", amount_capturable: 0 });

    const capture = await call("POST", `/v1/payments/${auth.body.id}/capture`, {});
    expect(capture.status).toBe(409);
    expect(capture.body.error).toMatchObject({
      code: "payment_not_capturable",
      type: "invalid_request_error",
    });
    expect(capture.body.error?.message).toContain("canceled");
    const cancelAgain = await call("POST", `/v1/payments/${auth.body.id}/cancel`);
    expect(cancelAgain.status).toBe(409);
    expect(cancelAgain.body.error?.code).toBe("payment_not_cancelable");
    const refund = await call("POST", "/v1/refunds", { payment_id: auth.body.id });
    expect(refund.status).toBe(409);
    expect(refund.body.error?.code).toBe("payment_not_refundable");

    const succeeded = await pay();
    const cancelCaptured = await call("POST", `/v1/payments/${succeeded.body.id}/cancel`);
    expect(cancelCaptured.status).toBe(409);
    expect(cancelCaptured.body.error?.message).toContain("succeeded");
    const captureCaptured = await call("POST", `/v1/payments/${succeeded.body.id}/capture`, {});
    expect(captureCaptured.status).toBe(409);

    const overCapture = await pay({ capture_method: "manual", amount: 100 });
    const over = await call("POST", `/v1/payments/${overCapture.body.id}/capture`, { amount: 101 });
    expect(over.status).toBe(422);
    expect(over.body.error).toMatchObject({ code: "amount_exceeds_capturable", param: "amount" });
  });

  it.each([
    ["4000000000000002", "card_declined"],
    ["4000000000009995", "insufficient_funds"],
    ["4000000000000069", "expired_card"],
    ["4100000000000019", "fraudulent"],
  ])("test card %s is declined as %s: a failed payment, never a 5xx", async (number, code) => {
    const res = await pay({ payment_method: card(number) });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: "failed", failure_code: code, amount_captured: 0 });
    const refund = await call("POST", "/v1/refunds", { payment_id: res.body.id });
    expect(refund.status).toBe(409);
  });

  it("a processor timeout leaves the payment processing, and the recoverer settles it from the acquirer", async () => {
    const res = await pay({ payment_method: card("4000000000000119") });
    expect(res.status).toBe(201);
    expect(res.body.status).toBe("processing");
    expect(cell.acquirer.authorizationCount(String(res.body.id))).toBe(1);
    const { recoverOnce } = await import("../../cell/payments/recoverer.ts");
    const deps = cell.gateway.deps;
    await recoverOnce(
      { ...deps, writes: deps.paymentWrites, log: deps.logger, acquirerTimeoutMs: 300 },
      { staleMs: 0, batch: 100 },
    );
    const after = await call("GET", `/v1/payments/${res.body.id}`);
    expect(after.body).toMatchObject({ status: "succeeded", amount_captured: 1999 });
    expect(cell.acquirer.authorizationCount(String(res.body.id))).toBe(1);
  });

  it("currencies keep their minor units: JPY has no decimals, KWD three; an unknown code is a 400", async () => {
    const jpy = await pay({ currency: "jpy", amount: 500 });
    expect(jpy.body).toMatchObject({ currency: "JPY", amount: 500 });
    const kwd = await pay({ currency: "KWD", amount: 1250 });
    expect(kwd.body).toMatchObject({ currency: "KWD", amount: 1250 });
    const bad = await pay({ currency: "XYZ" });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: "unknown_currency", param: "currency" });
  });

  it("a vaulted card pays by token; the token response never holds the number", async () => {
    const token = await call("POST", "/v1/card_tokens", { card: card("5555555555554444").card });
    expect(token.status).toBe(201);
    expect(token.body).toMatchObject({ object: "card_token", card: { brand: "mastercard", last4: "4444" } });
    const paid = await pay({ payment_method: { type: "card_token", token: token.body.id } });
    expect(paid.body).toMatchObject({
      status: "succeeded",
      card_token: token.body.id,
      card: { last4: "4444" },
    });
    const direct = await pay({ payment_method: card("5555555555554444") });
    expect((direct.body.card as { fingerprint: string }).fingerprint).toBe(
      (paid.body.card as { fingerprint: string }).fingerprint,
    );
    const unknown = await pay({ payment_method: { type: "card_token", token: "tok_nope" } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ code: "token_not_found", param: "payment_method.token" });
  });

  it("lists payments newest first with cursor pagination and filters", async () => {
    const { apiKey } = await cell.partner("Lister");
    const own = client(cell.url, apiKey);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await own("POST", "/v1/payments", {
        amount: 100 + i,
        currency: "USD",
        payment_method: card(),
        capture_method: i % 2 ? "manual" : "automatic",
      });
      ids.push(String(res.body.id));
    }
    const first = await own("GET", "/v1/payments?limit=2");
    expect(first.body.has_more).toBe(true);
    expect((first.body.data as { id: string }[]).map((p) => p.id)).toEqual([ids[4], ids[3]]);
    const second = await own("GET", `/v1/payments?limit=2&starting_after=${ids[3]}`);
    expect((second.body.data as { id: string }[]).map((p) => p.id)).toEqual([ids[2], ids[1]]);
    const last = await own("GET", `/v1/payments?limit=2&starting_after=${ids[1]}`);
    expect(last.body).toMatchObject({ has_more: false });
    expect((last.body.data as unknown[]).length).toBe(1);
    const manual = await own("GET", "/v1/payments?status=requires_capture");
    expect((manual.body.data as { id: string }[]).map((p) => p.id)).toEqual([ids[3], ids[1]]);
    const future = await own("GET", `/v1/payments?created[gte]=${Math.floor(Date.now() / 1000) + 3600}`);
    expect(future.body.data).toEqual([]);
  });
});
