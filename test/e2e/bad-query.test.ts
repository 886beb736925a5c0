// Query parameters, path ids and headers a partner gets wrong: each is a 400 naming it (or the path
// guard's invalid_path), in the one error shape, never a 5xx. The body's bad input is in
// bad-input.test.ts; both use the same checked client (test/checked-request.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkedClient, expectError, json } from "../checked-request.ts";
import { card, startTestCell, type TestCell } from "../harness.ts";

const sentPans = ["4242424242424242"];
let cell: TestCell;
let apiKey: string;
const statuses: { what: string; status: number }[] = [];

beforeAll(async () => {
  cell = await startTestCell();
  ({ apiKey } = await cell.partner("Bad query"));
});
afterAll(async () => {
  await cell?.stop();
});

const send = checkedClient({ baseUrl: () => cell.url, apiKey: () => apiKey, sentPans, statuses });
const goodPayment = { amount: 1999, currency: "eur", payment_method: card() };
let keySeq = 0;
const createPayment = (body: unknown) =>
  send("POST", "/v1/payments", json(body, { "idempotency-key": `bad-query-${++keySeq}` }));

describe("query parameters, path ids and headers are validated, naming the parameter", () => {
  it.each([
    // the finding: a bound past JavaScript dates failed inside the query as a 500
    ["/v1/payments?created[gte]=99999999999999", "created[gte]"],
    ["/v1/payments?created%5Blt%5D=253402300800", "created[lt]"],
    ["/v1/payments?created[gt]=-1", "created[gt]"],
    ["/v1/payments?created[lte]=1e3", "created[lte]"],
    ["/v1/payments?created[gte]=0x10", "created[gte]"],
    ["/v1/payments?created[gte]=", "created[gte]"],
    ["/v1/payments?created[gte]=1&created[gte]=2", "created[gte]"],
    ["/v1/payments?limit=0", "limit"],
    ["/v1/payments?limit=101", "limit"],
    ["/v1/payments?limit=1.5", "limit"],
    ["/v1/payments?limit=%201", "limit"],
    ["/v1/payments?limit=1&limit=2", "limit"],
    ["/v1/payments?status=bogus", "status"],
    ["/v1/payments?starting_after=%00", "starting_after"],
    ["/v1/payments?starting_after=pay_%F0%9F%92%B3", "starting_after"],
    ["/v1/refunds?payment_id=a%00b", "payment_id"],
    ["/v1/events?type=payment.nope", "type"],
    ["/v1/webhook_deliveries?event_id=" + "e".repeat(65), "event_id"],
    // unknown parameters are refused rather than ignored (a misspelt filter widens a list)
    ["/v1/payments?created[gtee]=1", "created[gtee]"],
    ["/v1/payments?stauts=failed", "stauts"],
    ["/v1/payments?__proto__=1", "__proto__"],
    ["/v1/balance?expand=all", "expand"],
    ["/v1/payments/pay_x?limit=1", "limit"],
  ])("GET %s is a 400 invalid_request naming %s", async (path, param) => {
    expectError(await send("GET", path), 400, "invalid_request", param);
  });

  it("the message says plainly when a query parameter is unknown or repeated", async () => {
    const unknown = await send("GET", "/v1/payments?colour=red");
    expect(unknown.body.error?.message).toBe("Unknown query parameter 'colour'.");
    const repeated = await send("GET", "/v1/payments?status=failed&status=succeeded");
    expect(repeated.body.error?.message).toBe("Query parameter 'status' was given more than once.");
  });

  it("bracket parameters within range work, raw or percent-encoded", async () => {
    for (const path of [
      "/v1/payments?created[gte]=0&created[lt]=253402300799&limit=100",
      "/v1/payments?created%5Bgt%5D=0&created%5Blte%5D=253402300799",
      "/v1/settlements?limit=1",
    ]) {
      const res = await send("GET", path);
      expect(res.status, path).toBe(200);
      expect(res.body.object).toBe("list");
    }
  });

  it.each([
    ["GET", `/v1/events/evt_${"x".repeat(100)}`],
    ["GET", "/v1/payments/pay-x"],
    ["POST", "/v1/payments/pay.x/capture"],
  ])("a malformed id in %s %s is a 400 naming id", async (method, path) => {
    const res = await send(method, path, method === "POST" ? json({}) : {});
    expectError(res, 400, "invalid_request", "id");
  });

  // Any percent-encoding in the path is refused before routing (middleware/path-guard.ts): no
  // id of ours needs one, and it is how traversals hide.
  it.each([
    ["GET", "/v1/payments/%00"],
    ["GET", "/v1/refunds/re%E2%82%AC"],
    ["POST", "/v1/payments/pay%27%3B--/capture"],
    ["GET", "/v1/webhook_deliveries/%00/attempts"],
  ])("a percent-encoded id in %s %s is a 400 invalid_path", async (method, path) => {
    const res = await send(method, path, method === "POST" ? json({}) : {});
    expectError(res, 400, "invalid_path");
  });

  it("a well-formed id of nothing is still a 404", async () => {
    expectError(await send("GET", "/v1/payments/pay_0mh1x2y3z4abcdefghijklmn"), 404, "resource_not_found");
  });

  it("an Idempotency-Key outside printable ASCII is a 400 naming idempotency-key", async () => {
    const res = await send("POST", "/v1/payments", json(goodPayment, { "idempotency-key": "clé-\u00e9" }));
    expectError(res, 400, "invalid_request", "idempotency-key");
  });

  it.each([
    ["description", { ...goodPayment, description: "a\u0000b" }],
    ["reference", { ...goodPayment, reference: "\u0000" }],
    ["metadata.order", { ...goodPayment, metadata: { order: "x\ud800" } }],
    ["payment_method.token", { ...goodPayment, payment_method: { type: "card_token", token: "tok_\u0000" } }],
  ])(
    "text no column can store (NUL, an unpaired surrogate) in %s is a 400 naming it",
    async (param, body) => {
      expectError(await createPayment(body), 400, "invalid_request", param);
    },
  );
});

describe("after all of the above", () => {
  it("no request in this file was answered with a 5xx, and none was logged as failed", () => {
    expect(statuses.length).toBeGreaterThan(30);
    expect(statuses.filter((s) => s.status >= 500)).toEqual([]);
    expect(cell.logLines.filter((line) => /"level":"(error|fatal)"/.test(line))).toEqual([]);
  });
});
