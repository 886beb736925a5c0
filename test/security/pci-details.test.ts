// PCI details from review, against a real cell: the idempotency request hash is not derived from
// the CVC (nor the PAN in a brute-forceable way); DELETE /v1/card_tokens/:id destroys the vaulted
// card; authentication failures are logged at warn with the client address and the key's public
// prefix, never the secret.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { card, client, startTestCell, type TestCell } from "../harness.ts";

let cell: TestCell;
let sql: postgres.Sql;

beforeAll(async () => {
  cell = await startTestCell();
  sql = postgres(cell.infra.postgresUrl, { max: 2, onnotice: () => {} });
});
afterAll(async () => {
  await sql?.end();
  await cell?.stop();
});

const pay = (number: string, cvc: string, reference: string) => ({
  amount: 1200,
  currency: "EUR",
  payment_method: card(number, { cvc }),
  reference,
});

describe("idempotency request hash", () => {
  it("a retry that differs only in the CVC replays: the stored hash does not depend on the CVC", async () => {
    const { apiKey } = await cell.partner("Digest CVC");
    const call = client(cell.url, apiKey);
    const headers = { "idempotency-key": "cvc-retry" };
    const first = await call("POST", "/v1/payments", pay("4242424242424242", "123", "cvc"), headers);
    expect(first.status).toBe(201);
    const same = await call("POST", "/v1/payments", pay("4242424242424242", "123", "cvc"), headers);
    expect(same.headers.get("idempotent-replayed")).toBe("true");
    expect(same.body.id).toBe(first.body.id);
    const otherCvc = await call("POST", "/v1/payments", pay("4242424242424242", "987", "cvc"), headers);
    expect(otherCvc.status).toBe(201);
    expect(otherCvc.headers.get("idempotent-replayed")).toBe("true");
    expect(otherCvc.body.id).toBe(first.body.id);
  });

  it("a retry with another card under the same key is still a 422 conflict", async () => {
    const { apiKey } = await cell.partner("Digest card");
    const call = client(cell.url, apiKey);
    const headers = { "idempotency-key": "card-swap" };
    expect((await call("POST", "/v1/payments", pay("4242424242424242", "123", "swap"), headers)).status).toBe(
      201,
    );
    const swapped = await call("POST", "/v1/payments", pay("5555555555554444", "123", "swap"), headers);
    expect(swapped.status).toBe(422);
    expect(swapped.body.error?.code).toBe("idempotency_key_reused");
  });

  it("the same applies to card tokens (the body holds a raw card there too)", async () => {
    const { apiKey } = await cell.partner("Digest token");
    const call = client(cell.url, apiKey);
    const headers = { "idempotency-key": "tok-retry" };
    const body = (cvc: string, number = "4242424242424242") => ({
      card: { number, exp_month: 12, exp_year: 2034, cvc },
    });
    const first = await call("POST", "/v1/card_tokens", body("123"), headers);
    expect(first.status).toBe(201);
    const retry = await call("POST", "/v1/card_tokens", body("456"), headers);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.body.id).toBe(first.body.id);
    expect((await call("POST", "/v1/card_tokens", body("123", "5555555555554444"), headers)).status).toBe(
      422,
    );
  });
});

describe("DELETE /v1/card_tokens/:id", () => {
  it("destroys the ciphertext, makes the token unusable, emits card_token.deleted; another partner gets 404", async () => {
    const owner = await cell.partner("Token owner");
    const other = await cell.partner("Token other");
    const call = client(cell.url, owner.apiKey);
    const created = await call("POST", "/v1/card_tokens", {
      card: {
        number: "4242424242424242",
        exp_month: 12,
        exp_year: 2034,
        cvc: "123",
        holder_name: "A Holder",
      },
    });
    expect(created.status).toBe(201);
    const tokenId = String(created.body.id);
    const payWithToken = () =>
      call("POST", "/v1/payments", {
        amount: 500,
        currency: "EUR",
        payment_method: { type: "card_token", token: tokenId },
      });
    expect((await payWithToken()).status).toBe(201);

    // Another partner cannot delete (or learn about) it.
    const foreign = await client(cell.url, other.apiKey)("DELETE", `/v1/card_tokens/${tokenId}`);
    expect(foreign.status).toBe(404);
    expect(foreign.body.error?.code).toBe("resource_not_found");
    expect((await sql`select 1 from card_tokens where id = ${tokenId}`).length).toBe(1);

    const deleted = await call("DELETE", `/v1/card_tokens/${tokenId}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ id: tokenId, object: "card_token", deleted: true });
    expect((deleted.body.card as Record<string, unknown>).last4).toBe("4242");

    // The row holding the ciphertext is gone, not flagged.
    expect((await sql`select card_ciphertext from card_tokens where id = ${tokenId}`).length).toBe(0);
    // Paying with it is refused; deleting again is a 404.
    const refused = await payWithToken();
    expect(refused.status).toBe(400);
    expect(refused.body.error?.code).toBe("token_not_found");
    expect((await call("DELETE", `/v1/card_tokens/${tokenId}`)).status).toBe(404);

    // The event is in the outbox and on the events API, for the owner only.
    const events = await call("GET", "/v1/events?type=card_token.deleted");
    expect(events.status).toBe(200);
    const data = events.body.data as { type: string; data: Record<string, unknown> }[];
    expect(data.map((e) => e.data.id)).toEqual([tokenId]);
    expect(data[0]!.data.deleted).toBe(true);
    const foreignEvents = await client(cell.url, other.apiKey)("GET", "/v1/events?type=card_token.deleted");
    expect(foreignEvents.body.data).toEqual([]);
  });
});

describe("authentication failures", () => {
  it("are logged at warn with the client address and the key's public prefix, never the secret", async () => {
    const { partnerId, apiKey } = await cell.partner("Auth log");
    const secretPart = apiKey.split("_").at(-1)!;
    const wrong = `${apiKey.slice(0, -4)}ZZZZ`; // right shape, right partner, unknown secret
    const before = cell.logLines.length;
    const unknown = await fetch(`${cell.url}/v1/payments`, {
      headers: { authorization: `Bearer ${wrong}`, "x-forwarded-for": "198.51.100.7" },
    });
    expect(unknown.status).toBe(401);
    const malformed = await fetch(`${cell.url}/v1/payments`, {
      headers: { authorization: "Bearer sk_test_not-a-key-at-all-0123456789" },
    });
    expect(malformed.status).toBe(401);
    const missing = await fetch(`${cell.url}/v1/payments`);
    expect(missing.status).toBe(401);

    const lines = cell.logLines
      .slice(before)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === "authentication failed");
    expect(lines.map((l) => l.code)).toEqual(["invalid_api_key", "invalid_api_key", "missing_api_key"]);
    for (const l of lines) expect(l.level).toBe("warn");
    expect(lines[0]).toMatchObject({
      key_prefix: `sk_test_${partnerId}`,
      client_ip: "198.51.100.7",
      peer_ip: expect.stringMatching(/127\.0\.0\.1/),
    });
    expect(lines[1]).toMatchObject({
      key_prefix: "(malformed)",
      client_ip: expect.stringMatching(/127\.0\.0\.1/),
    });
    expect(lines[2]).toMatchObject({ key_prefix: null });
    const text = cell.logLines.slice(before).join("\n");
    expect(text).not.toContain(secretPart.slice(0, -4));
    expect(text).not.toContain("not-a-key-at-all");
  });
});
