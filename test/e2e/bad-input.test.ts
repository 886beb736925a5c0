// Every kind of bad input a partner can send answers a clear 4xx in the one error shape, with the
// request id in both the header and the body, never a 5xx or a stack trace, and leaves no row behind.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../cell/db/client.ts";
import { issueApiKey, revokeApiKey } from "../../cell/partners/provision.ts";
import { checkedClient, type ErrorFields, expectError, json } from "../checked-request.ts";
import { card, startTestCell, type TestCell } from "../harness.ts";

const tables = ["payments", "refunds", "card_tokens", "idempotency_keys"] as const;
type Counts = Record<(typeof tables)[number], number>;

/** Every card number this file sends: none may ever come back in a response (or reach a log). */
const sentPans = ["4242424242424242", "4242424242424241", "4000056655665557", "5555555555554444"];

let cell: TestCell;
let sql: postgres.Sql;
let admin: ReturnType<typeof createDb>;
let partnerId: string;
let apiKey: string;
let before: Counts;
const statuses: { what: string; status: number }[] = [];

beforeAll(async () => {
  // Keys are looked up on every request, so a revocation is seen at once.
  cell = await startTestCell({ KEY_CACHE_TTL_MS: "0" });
  ({ partnerId, apiKey } = await cell.partner("Bad input"));
  sql = postgres(cell.infra.postgresUrl, { max: 2, onnotice: () => {} });
  admin = createDb(cell.infra.postgresUrl, { max: 2 });
  before = await countRows();
});
afterAll(async () => {
  await sql?.end({ timeout: 5 });
  await admin?.end();
  await cell?.stop();
});

async function countRows(): Promise<Counts> {
  const counts = {} as Counts;
  for (const table of tables) {
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from ${sql(table)}`;
    counts[table] = row?.n ?? -1;
  }
  return counts;
}

const send = checkedClient({ baseUrl: () => cell.url, apiKey: () => apiKey, sentPans, statuses });

const goodPayment = { amount: 1999, currency: "eur", payment_method: card() };
const withCard = (extra: Record<string, unknown>, number = "4242424242424242") => ({
  ...goodPayment,
  payment_method: card(number, extra),
});
/** Each bad body goes with an Idempotency-Key: a refused request must not leave a key row. */
let keySeq = 0;
const createPayment = (body: unknown) =>
  send("POST", "/v1/payments", json(body, { "idempotency-key": `bad-input-${++keySeq}` }));

describe("the body is not JSON, too large, or of another type", () => {
  it.each([
    ["a truncated object", '{"amount": 1999,'],
    ["an empty body", ""],
    ["a bare word", "nul"],
    ["single quotes", "{'amount': 1999}"],
  ])("malformed JSON (%s) is a 400 invalid_json", async (_what, body) => {
    const res = await send("POST", "/v1/payments", {
      body,
      headers: { "content-type": "application/json", "idempotency-key": `bad-json-${++keySeq}` },
    });
    const error = expectError(res, 400, "invalid_json");
    expect(error.type).toBe("invalid_request_error");
    expect(error.message).toBe("The request body is not valid JSON.");
  });

  it("malformed JSON on a route whose body is optional (capture) is a 400 invalid_json", async () => {
    const res = await send("POST", "/v1/payments/pay_nope/capture", {
      body: "{",
      headers: { "content-type": "application/json" },
    });
    expectError(res, 400, "invalid_json");
  });

  it("a body over 64 KiB is a 413 payload_too_large, whether its length is declared or chunked", async () => {
    const big = JSON.stringify({ ...goodPayment, description: "x".repeat(70 * 1024) });
    const declared = await send("POST", "/v1/payments", json(JSON.parse(big)));
    expectError(declared, 413, "payload_too_large");

    const bytes = new TextEncoder().encode(big);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 8192) controller.enqueue(bytes.slice(i, i + 8192));
        controller.close();
      },
    });
    const chunked = await send("POST", "/v1/payments", {
      body: stream,
      headers: { "content-type": "application/json" },
    });
    expectError(chunked, 413, "payload_too_large");
  });

  it.each([
    ["text/plain", "text/plain", JSON.stringify(goodPayment)],
    ["a form", "application/x-www-form-urlencoded", "amount=1999&currency=eur"],
    ["multipart", "multipart/form-data; boundary=x", "--x\r\n\r\n--x--"],
    ["a look-alike", "application/jsonp", JSON.stringify(goodPayment)],
  ])("a body sent as %s is a 415 unsupported_media_type", async (_what, type, body) => {
    const res = await send("POST", "/v1/payments", { body, headers: { "content-type": type } });
    expectError(res, 415, "unsupported_media_type");
  });

  it("a body with no content type at all is a 415 unsupported_media_type", async () => {
    const res = await send("POST", "/v1/card_tokens", {
      body: new TextEncoder().encode(JSON.stringify({ card: card().card })),
    });
    expectError(res, 415, "unsupported_media_type");
  });
});

describe("routes and methods", () => {
  it.each([
    ["GET", "/v1/nope"],
    ["POST", "/v1/payment"],
    ["GET", "/v1/payments/pay_x/refunds"],
    ["GET", "/nope"],
  ])("%s %s, a route that does not exist, is a 404 route_not_found", async (method, path) => {
    const res = await send(method, path, method === "POST" ? json({}) : {});
    const error = expectError(res, 404, "route_not_found");
    expect(error.message).toContain(path);
  });

  it.each([
    ["DELETE", "/v1/payments", ["GET", "POST"]],
    ["PUT", "/v1/payments/pay_x", ["GET"]],
    ["PATCH", "/v1/refunds/re_x", ["GET"]],
    ["GET", "/v1/payments/pay_x/capture", ["POST"]],
    ["DELETE", "/v1/card_tokens", ["POST"]],
  ])(
    "%s %s, a known path with the wrong method, is a 405 with an Allow header",
    async (method, path, allowed) => {
      const res = await send(method, path);
      const error = expectError(res, 405, "method_not_allowed");
      expect(error.message).toContain(method);
      const allow = (res.headers.get("allow") ?? "").split(",").map((m) => m.trim());
      expect(allow.sort()).toEqual([...allowed].sort());
    },
  );
});

describe("API keys", () => {
  it("no Authorization header is a 401 missing_api_key", async () => {
    const res = await send("GET", "/v1/payments", { auth: null });
    const error = expectError(res, 401, "missing_api_key");
    expect(error.type).toBe("authentication_error");
  });

  it.each([
    ["garbage", "Bearer hunter2"],
    ["an empty bearer", "Bearer "],
    ["another scheme", `Basic ${Buffer.from("user:pass").toString("base64")}`],
    ["a well-formed but unknown key", `Bearer sk_test_ptr_${"a".repeat(24)}_${"B".repeat(32)}`],
  ])("%s as the key is a 401 invalid_api_key", async (_what, auth) => {
    const res = await send("GET", "/v1/payments", { auth });
    const error = expectError(res, 401, "invalid_api_key");
    expect(error.type).toBe("authentication_error");
    expect(res.text).not.toContain("hunter2");
  });

  it("a real key whose secret part was altered is a 401 invalid_api_key", async () => {
    const last = apiKey.at(-1) === "A" ? "B" : "A";
    const res = await send("GET", "/v1/payments", { auth: `Bearer ${apiKey.slice(0, -1)}${last}` });
    expectError(res, 401, "invalid_api_key");
  });

  it("a revoked key is a 401 api_key_revoked at once, while the partner's other key still works", async () => {
    const second = await issueApiKey(admin.db, partnerId, "test");
    const ok = await send("GET", "/v1/payments", { auth: `Bearer ${second.apiKey}` });
    expect(ok.status).toBe(200);
    expect(await revokeApiKey(admin.db, partnerId, second.id, cell.gateway.deps.redis)).toBe(true);
    const revoked = await send("GET", "/v1/payments", { auth: `Bearer ${second.apiKey}` });
    expectError(revoked, 401, "api_key_revoked");
    const write = await send("POST", "/v1/payments", {
      ...json(goodPayment),
      auth: `Bearer ${second.apiKey}`,
    });
    expectError(write, 401, "api_key_revoked");
    const other = await send("GET", "/v1/payments");
    expect(other.status).toBe(200);
  });
});

describe("fields that fail validation name themselves in `param`", () => {
  const manyKeys = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, "v"]));
  it.each([
    ["amount as a float", "amount", { ...goodPayment, amount: 19.99 }],
    ["amount as a string", "amount", { ...goodPayment, amount: "1999" }],
    ["a negative amount", "amount", { ...goodPayment, amount: -5 }],
    ["a zero amount", "amount", { ...goodPayment, amount: 0 }],
    ["an amount too large", "amount", { ...goodPayment, amount: 100_000_000_000 }],
    ["a missing amount", "amount", { currency: "eur", payment_method: card() }],
    ["a missing currency", "currency", { amount: 1999, payment_method: card() }],
    ["a missing payment_method", "payment_method", { amount: 1999, currency: "eur" }],
    [
      "an unknown payment_method.type",
      "payment_method.type",
      { ...goodPayment, payment_method: { type: "iban" } },
    ],
    ["an unknown top-level field", "tip", { ...goodPayment, tip: 100 }],
    ["an unknown card field", "payment_method.card.zip", withCard({ zip: "10115" })],
    ["a card number sent as a number", "payment_method.card.number", withCard({ number: 4242424242424242 })],
    ["metadata with 51 keys", "metadata", { ...goodPayment, metadata: manyKeys }],
    ["a bad capture_method", "capture_method", { ...goodPayment, capture_method: "later" }],
  ])("%s is a 400 invalid_request (param %s)", async (_what, param, body) => {
    const res = await createPayment(body);
    const error = expectError(res, 400, "invalid_request", param);
    expect(error.type).toBe("invalid_request_error");
  });

  it("a body that is JSON but not an object is a 400 invalid_request", async () => {
    const res = await createPayment([goodPayment]);
    expectError(res, 400, "invalid_request");
  });

  it("an unknown currency is a 400 unknown_currency naming currency", async () => {
    const res = await createPayment({ ...goodPayment, currency: "XYZ" });
    const error = expectError(res, 400, "unknown_currency", "currency");
    expect(error.message).toContain("XYZ");
  });

  it.each([
    ["/v1/payments?limit=0", "limit"],
    ["/v1/payments?limit=1000", "limit"],
    ["/v1/payments?limit=ten", "limit"],
    ["/v1/payments?status=pending_forever", "status"],
    ["/v1/payments?created[gte]=yesterday", "created[gte]"],
    ["/v1/refunds?limit=0", "limit"],
    ["/v1/refunds?limit=101", "limit"],
  ])("listing with %s is a 400 invalid_request naming %s", async (path, param) => {
    const res = await send("GET", path);
    expectError(res, 400, "invalid_request", param);
  });

  it("refund and capture bodies are validated the same way", async () => {
    const refund = await send("POST", "/v1/refunds", json({ payment_id: "pay_x", amount: 1.5 }));
    expectError(refund, 400, "invalid_request", "amount");
    const noPayment = await send("POST", "/v1/refunds", json({ amount: 100 }));
    expectError(noPayment, 400, "invalid_request", "payment_id");
    const reason = await send("POST", "/v1/refunds", json({ payment_id: "pay_x", reason: "because" }));
    expectError(reason, 400, "invalid_request", "reason");
    const capture = await send("POST", "/v1/payments/pay_x/capture", json({ amount: -1 }));
    expectError(capture, 400, "invalid_request", "amount");
  });
});

describe("card errors are card_error 400s naming the card field, never echoing the number", () => {
  it("a number failing the Luhn check is invalid_card_number", async () => {
    const res = await createPayment(withCard({}, "4242424242424241"));
    const error = expectError(res, 400, "invalid_card_number", "payment_method.card.number");
    expect(error.type).toBe("card_error");
  });

  it.each([
    ["a number too short", withCard({}, "4242"), "invalid_card_number", "number"],
    ["a number with letters", withCard({}, "4242abcd42424242"), "invalid_card_number", "number"],
    ["month 13", withCard({ exp_month: 13 }), "invalid_expiry", "exp_month"],
    ["month 0", withCard({ exp_month: 0 }), "invalid_expiry", "exp_month"],
  ])("%s is a 400 %s naming the field", async (_what, body, code, field) => {
    expectError(await createPayment(body), 400, code, `payment_method.card.${field}`);
  });

  it("an expired card is card_expired", async () => {
    const lastYear = new Date().getUTCFullYear() - 1;
    const res = await createPayment(withCard({ exp_year: lastYear }));
    const error = expectError(res, 400, "card_expired", "payment_method.card.exp_year");
    expect(error.type).toBe("card_error");
  });

  it("a two-digit cvc is invalid_cvc", async () => {
    const res = await createPayment(withCard({ cvc: "12" }));
    expectError(res, 400, "invalid_cvc", "payment_method.card.cvc");
  });

  it("the same checks guard vaulting a card: no token row is written", async () => {
    const badLuhn = await send(
      "POST",
      "/v1/card_tokens",
      json({ card: card("4000056655665557").card }, { "idempotency-key": "bad-token-1" }),
    );
    expect(badLuhn.status).toBe(400);
    expect(badLuhn.body.error?.code).toBe("invalid_card_number");
    const cvc = await send("POST", "/v1/card_tokens", json({ card: { ...card().card, cvc: "1" } }));
    expect(cvc.body.error?.code).toBe("invalid_cvc");
    const extra = await send("POST", "/v1/card_tokens", json({ card: card().card, customer: "c_1" }));
    expectError(extra, 400, "invalid_request", "customer");
  });

  it("a card error on /v1/card_tokens names param card.number (its own body's path)", async () => {
    const res = await send("POST", "/v1/card_tokens", json({ card: card("4000056655665557").card }));
    expect(res.body.error?.param).toBe("card.number");
  });
});

describe("Idempotency-Key", () => {
  it("a key longer than 255 characters is a 400 naming idempotency-key, and the payment is not made", async () => {
    const res = await send("POST", "/v1/payments", json(goodPayment, { "idempotency-key": "k".repeat(256) }));
    expectError(res, 400, "invalid_request", "idempotency-key");
    expect(res.text).not.toContain("k".repeat(256));
  });

  it("an empty key is a 400 naming idempotency-key", async () => {
    const res = await send("POST", "/v1/payments", json(goodPayment, { "idempotency-key": "" }));
    expectError(res, 400, "invalid_request", "idempotency-key");
  });
});

describe("after all of the above", () => {
  it("no row was written in payments, refunds, card_tokens or idempotency_keys", async () => {
    expect(await countRows()).toEqual(before);
  });

  it("no request in this file was answered with a 5xx, and none was logged as failed", () => {
    expect(statuses.length).toBeGreaterThan(60);
    expect(statuses.filter((s) => s.status >= 500)).toEqual([]);
    expect(cell.logLines.length).toBeGreaterThan(0);
    expect(cell.logLines.filter((line) => /"level":"(error|fatal)"/.test(line))).toEqual([]);
  });

  it("no card number sent in this file reached the gateway's logs", () => {
    const logs = cell.logLines.join("\n");
    for (const pan of sentPans) expect(logs).not.toContain(pan);
  });
});
