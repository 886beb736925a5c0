// Test and live mode apart, against a real cell: one partner with a test key and a live key (its
// live connector the sandbox), another whose live key has no connector. Every resource of one mode
// is "not found" to the other mode's key, exactly like another partner's; ledger, balance and
// settlements are per mode; test events reach only test endpoints; a live key without a connector
// is 403 live_mode_not_enabled; a simulator test card with a live key is declined.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../cell/db/client.ts";
import type { EventHandler, ProcessorDeps } from "../../cell/events/processors/event-handler.ts";
import { createLedgerHandler } from "../../cell/events/processors/ledger.ts";
import { createSettlementHandler } from "../../cell/events/processors/settlement.ts";
import { issueApiKey } from "../../cell/partners/provision.ts";
import { createWebhookHandler, startWebhookDispatcher } from "../../cell/webhooks/index.ts";
import { card, client, startTestCell, type TestCell } from "../harness.ts";
import { type Receiver, startOutboxPump, startReceiver, waitFor } from "../webhook-receiver.ts";

let cell: TestCell;
let processorDb: ReturnType<typeof createDb>;
let pump: ReturnType<typeof startOutboxPump>;
let dispatcher: ReturnType<typeof startWebhookDispatcher>;
let receiver: Receiver;
type Call = ReturnType<typeof client>;
let test: Call;
let live: Call;
let partnerId: string;

/** The three processors the cell runs on its outbox, in one handler (the pump feeds each event once). */
const allProcessors = (deps: ProcessorDeps): EventHandler => {
  const handlers = [createLedgerHandler(deps), createSettlementHandler(deps), createWebhookHandler(deps)];
  return {
    name: "all",
    async handle(event) {
      for (const h of handlers) await h.handle(event);
    },
  };
};

beforeAll(async () => {
  cell = await startTestCell({ KEY_CACHE_TTL_MS: "0", RATE_LIMIT_RATE: "10000", RATE_LIMIT_BURST: "10000" });
  const g = cell.gateway.deps;
  processorDb = createDb(cell.infra.postgresUrl, { max: 6, applicationName: "test-processor" });
  const deps: ProcessorDeps = {
    cellId: g.config.cellId,
    sql: processorDb.sql,
    db: processorDb.db,
    vault: g.vault,
    log: g.logger,
    clock: g.clock,
  };
  pump = startOutboxPump(deps, allProcessors(deps));
  dispatcher = startWebhookDispatcher(deps, { pollIntervalMs: 50, allowPrivateTargets: true });
  receiver = await startReceiver(() => 200);
  const p = await cell.partner("Two modes");
  partnerId = p.partnerId;
  // What enable-live does in the cell: the partner's live connector, then a live key.
  await g.sql`update partners set settings = settings || '{"live_connector": "sandbox"}' where id = ${partnerId}`;
  test = client(cell.url, p.apiKey);
  live = client(cell.url, (await issueApiKey(g.db, partnerId, "live")).apiKey);
});
afterAll(async () => {
  await dispatcher?.stop();
  await pump?.stop();
  await receiver?.close();
  await processorDb?.end();
  await cell?.stop();
});

const pay = (call: Call, number: string, extra: Record<string, unknown> = {}) =>
  call("POST", "/v1/payments", { amount: 2500, currency: "EUR", payment_method: card(number), ...extra });
const LIVE_CARD = "4111111111111111"; // Luhn-valid, not one of the simulator's test cards

describe("test and live mode", () => {
  it("marks every object with its key's mode and answers 404 across modes on every resource", async () => {
    const testPay = await pay(test, "4242424242424242", { capture_method: "manual" });
    const livePay = await pay(live, LIVE_CARD, { capture_method: "manual" });
    expect(testPay.body).toMatchObject({ livemode: false, status: "requires_capture" });
    expect(livePay.body).toMatchObject({ livemode: true, status: "requires_capture" });

    // Payments: retrieve (twice: the second read may come from the cache), capture, cancel, list.
    for (const [call, other] of [
      [test, livePay],
      [live, testPay],
    ] as const) {
      for (let i = 0; i < 2; i++) {
        const res = await call("GET", `/v1/payments/${other.body.id}`);
        expect(res.status).toBe(404);
        expect(res.body.error?.code).toBe("resource_not_found");
      }
      expect((await call("POST", `/v1/payments/${other.body.id}/capture`, {})).status).toBe(404);
      expect((await call("POST", `/v1/payments/${other.body.id}/cancel`, {})).status).toBe(404);
      expect((await call("POST", "/v1/refunds", { payment_id: other.body.id })).status).toBe(404);
    }
    // Each key still reads its own payment (also filling the cache the other key must not see).
    expect((await test("GET", `/v1/payments/${testPay.body.id}`)).body.livemode).toBe(false);
    expect((await live("GET", `/v1/payments/${livePay.body.id}`)).body.livemode).toBe(true);
    for (let i = 0; i < 2; i++) {
      expect((await test("GET", `/v1/payments/${livePay.body.id}`)).status).toBe(404);
    }
    const testList = (await test("GET", "/v1/payments?limit=100")).body.data as { id: string }[];
    const liveList = (await live("GET", "/v1/payments?limit=100")).body.data as { id: string }[];
    expect(testList.map((p) => p.id)).toContain(testPay.body.id);
    expect(testList.map((p) => p.id)).not.toContain(livePay.body.id);
    expect(liveList.map((p) => p.id)).toEqual([livePay.body.id]);

    // Refunds.
    expect((await test("POST", `/v1/payments/${testPay.body.id}/capture`, {})).status).toBe(200);
    expect((await live("POST", `/v1/payments/${livePay.body.id}/capture`, {})).status).toBe(200);
    const testRefund = await test("POST", "/v1/refunds", { payment_id: testPay.body.id, amount: 100 });
    const liveRefund = await live("POST", "/v1/refunds", { payment_id: livePay.body.id, amount: 100 });
    expect(testRefund.body).toMatchObject({ livemode: false, status: "succeeded" });
    expect(liveRefund.body).toMatchObject({ livemode: true, status: "succeeded" });
    expect((await test("GET", `/v1/refunds/${liveRefund.body.id}`)).status).toBe(404);
    expect((await live("GET", `/v1/refunds/${testRefund.body.id}`)).status).toBe(404);
    const liveRefunds = (await live("GET", "/v1/refunds")).body.data as { id: string }[];
    expect(liveRefunds.map((r) => r.id)).toEqual([liveRefund.body.id]);

    // Card tokens: a token of one mode cannot be paid with, nor deleted, by the other.
    const testToken = await test("POST", "/v1/card_tokens", { card: card().card });
    expect(testToken.body).toMatchObject({ livemode: false });
    const viaLive = await live("POST", "/v1/payments", {
      amount: 100,
      currency: "EUR",
      payment_method: { type: "card_token", token: testToken.body.id },
    });
    expect(viaLive.status).toBe(400);
    expect(viaLive.body.error?.code).toBe("token_not_found");
    expect((await live("DELETE", `/v1/card_tokens/${testToken.body.id}`)).status).toBe(404);
    expect((await test("DELETE", `/v1/card_tokens/${testToken.body.id}`)).body).toMatchObject({
      livemode: false,
      deleted: true,
    });

    // Events: each mode lists only its own; the envelope says which.
    const liveEvents = (await live("GET", "/v1/events?limit=100")).body.data as {
      id: string;
      livemode: boolean;
    }[];
    const testEvents = (await test("GET", "/v1/events?limit=100")).body.data as {
      id: string;
      livemode: boolean;
    }[];
    expect(liveEvents.length).toBeGreaterThan(0);
    expect(liveEvents.every((e) => e.livemode)).toBe(true);
    expect(testEvents.every((e) => !e.livemode)).toBe(true);
    expect((await test("GET", `/v1/events/${liveEvents[0]!.id}`)).status).toBe(404);
    expect((await live("GET", `/v1/events/${testEvents[0]!.id}`)).status).toBe(404);
    expect((await live("GET", `/v1/events/${liveEvents[0]!.id}`)).body.livemode).toBe(true);
  });

  it("keeps ledger, balance and settlements per mode: a test payment changes nothing live; test settlements are never payable", async () => {
    const balance = async (call: Call) =>
      ((await call("GET", "/v1/balance")).body.available as { currency: string; amount: number }[]) ?? [];
    const settlements = async (call: Call) =>
      (await call("GET", "/v1/settlements")).body.data as {
        id: string;
        livemode: boolean;
        payable: boolean;
        gross_amount: number;
      }[];
    // Let the first test's events be processed, then take the live figures.
    await waitFor("events processed", async () => {
      const [row] = await cell.gateway.deps.sql<{ n: number }[]>`
        select count(*)::int as n from events where published_at is null`;
      return row?.n === 0;
    });
    await waitFor("live settlement", async () => (await settlements(live)).length === 1);
    const liveBalanceBefore = await balance(live);
    const liveSettlementsBefore = await settlements(live);
    expect(liveSettlementsBefore[0]).toMatchObject({ livemode: true, payable: true, gross_amount: 2500 });

    const before = (await settlements(test))[0]?.gross_amount ?? 0;
    expect((await pay(test, "4242424242424242")).body.status).toBe("succeeded");
    await waitFor(
      "test settlement grows",
      async () => (await settlements(test))[0]?.gross_amount === before + 2500,
    );
    const testSettlements = await settlements(test);
    expect(testSettlements.every((s) => !s.livemode && !s.payable)).toBe(true);
    expect(await balance(live)).toEqual(liveBalanceBefore);
    expect(await settlements(live)).toEqual(liveSettlementsBefore);
    expect((await test("GET", `/v1/settlements/${liveSettlementsBefore[0]!.id}`)).status).toBe(404);
    expect((await live("GET", `/v1/settlements/${testSettlements[0]!.id}`)).status).toBe(404);
    const testBalance = await balance(test);
    expect(testBalance).not.toEqual(liveBalanceBefore);
    expect(testBalance.find((b) => b.currency === "EUR")?.amount).toBeGreaterThan(0);
  });

  it("sends test events only to test endpoints and live events only to live ones", async () => {
    const testEndpoint = await test("POST", "/v1/webhook_endpoints", { url: receiver.url });
    // Live endpoints must be public (SSRF guard): this one is never reachable, only its rows count.
    const liveEndpoint = await live("POST", "/v1/webhook_endpoints", { url: "https://93.184.215.14/hook" });
    expect(testEndpoint.body).toMatchObject({ livemode: false });
    expect(liveEndpoint.body).toMatchObject({ livemode: true });
    expect((await test("GET", `/v1/webhook_endpoints/${liveEndpoint.body.id}`)).status).toBe(404);
    expect((await live("GET", `/v1/webhook_endpoints/${testEndpoint.body.id}`)).status).toBe(404);
    expect((await test("DELETE", `/v1/webhook_endpoints/${liveEndpoint.body.id}`)).status).toBe(404);
    expect((await test("POST", `/v1/webhook_endpoints/${liveEndpoint.body.id}/roll_secret`, {})).status).toBe(
      404,
    );
    const testEndpoints = (await test("GET", "/v1/webhook_endpoints")).body.data as { id: string }[];
    expect(testEndpoints.map((e) => e.id)).toEqual([testEndpoint.body.id]);

    const livePay = await pay(live, LIVE_CARD);
    const testPay = await pay(test, "4242424242424242");
    await waitFor("the test event delivered", () =>
      receiver.requests.some(
        (r) => (JSON.parse(r.body) as { data: { id: string } }).data.id === testPay.body.id,
      ),
    );
    const liveDeliveries = await waitFor("the live delivery queued", async () => {
      const d = (await live("GET", "/v1/webhook_deliveries")).body.data as {
        id: string;
        endpoint_id: string;
        livemode: boolean;
      }[];
      return d.length > 0 ? d : undefined;
    });
    expect(liveDeliveries.every((d) => d.livemode && d.endpoint_id === liveEndpoint.body.id)).toBe(true);
    const testDeliveries = (await test("GET", "/v1/webhook_deliveries")).body.data as {
      id: string;
      endpoint_id: string;
    }[];
    expect(testDeliveries.every((d) => d.endpoint_id === testEndpoint.body.id)).toBe(true);
    expect((await test("GET", `/v1/webhook_deliveries/${liveDeliveries[0]!.id}/attempts`)).status).toBe(404);
    expect((await test("POST", `/v1/webhook_deliveries/${liveDeliveries[0]!.id}/resend`)).status).toBe(404);
    expect((await live("GET", `/v1/webhook_deliveries/${testDeliveries[0]!.id}/attempts`)).status).toBe(404);

    // The test endpoint received test events only: never the live payment's.
    const received = receiver.requests.map(
      (r) => JSON.parse(r.body) as { livemode: boolean; data: { id: string } },
    );
    expect(received.length).toBeGreaterThan(0);
    expect(received.every((e) => e.livemode === false)).toBe(true);
    expect(received.some((e) => e.data.id === livePay.body.id)).toBe(false);
  });

  it("refuses a live key without a live connector with 403 live_mode_not_enabled; reads still work", async () => {
    const other = await cell.partner("Not live");
    const liveKey = (await issueApiKey(cell.gateway.deps.db, other.partnerId, "live")).apiKey;
    const call = client(cell.url, liveKey);
    const refused = await pay(call, LIVE_CARD);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ type: "permission_error", code: "live_mode_not_enabled" });
    const [row] = await cell.gateway.deps.sql<{ n: number }[]>`
      select count(*)::int as n from payments where partner_id = ${other.partnerId}`;
    expect(row?.n, "nothing was written").toBe(0);
    expect((await call("GET", "/v1/payments")).status).toBe(200);
    // Its test key pays through the simulator as before.
    expect((await pay(client(cell.url, other.apiKey), "4242424242424242")).body.status).toBe("succeeded");
  });

  it("declines the simulator's test cards with a live key (test_card_in_live_mode), and keeps idempotency keys per mode", async () => {
    const declined = await pay(live, "4242424242424242");
    expect(declined.status).toBe(201);
    expect(declined.body).toMatchObject({
      livemode: true,
      status: "failed",
      failure_code: "test_card_in_live_mode",
    });
    // The same Idempotency-Key in both modes: two payments, neither replays the other.
    const headers = { "idempotency-key": "same-key-both-modes" };
    const body = { amount: 700, currency: "EUR", payment_method: card(LIVE_CARD) };
    const a = await live("POST", "/v1/payments", body, headers);
    const b = await test("POST", "/v1/payments", body, headers);
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(a.body.id).not.toBe(b.body.id);
    expect([a.body.livemode, b.body.livemode]).toEqual([true, false]);
    const replay = await test("POST", "/v1/payments", body, headers);
    expect(replay.body.id).toBe(b.body.id);
  });
});
