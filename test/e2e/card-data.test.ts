// PCI-minded handling: after real traffic, neither the gateway's logs nor any database column
// holds a test card number or CVC in clear; responses show masked cards only.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../shared/logger.ts";
import { card, client, startTestCell, type TestCell } from "../harness.ts";

const pans = ["4242424242424242", "378282246310005", "5555555555554444", "4000000000000002"];
const cvc = "7391"; // an Amex CVC unlikely to appear by chance in ids or ciphertexts
const cvcAlone = new RegExp(`(^|[^0-9A-Za-z])${cvc}([^0-9A-Za-z]|$)`);

let cell: TestCell;
const responses: string[] = [];

beforeAll(async () => {
  cell = await startTestCell();
  const { apiKey } = await cell.partner();
  const call = client(cell.url, apiKey);
  const record = async (p: ReturnType<typeof call>) => {
    const res = await p;
    responses.push(JSON.stringify(res.body));
    return res;
  };
  for (const [i, pan] of pans.entries()) {
    const c = card(pan, { cvc: pan.startsWith("37") ? cvc : "123", holder_name: "Ada Lovelace" });
    const paid = await record(
      call(
        "POST",
        "/v1/payments",
        { amount: 1000, currency: "USD", payment_method: c },
        { "idempotency-key": `card-${i}` },
      ),
    );
    await record(
      call(
        "POST",
        "/v1/payments",
        { amount: 1000, currency: "USD", payment_method: c },
        { "idempotency-key": `card-${i}` },
      ),
    );
    await record(call("POST", "/v1/refunds", { payment_id: paid.body.id }));
    await record(call("POST", "/v1/card_tokens", { card: c.card }));
  }
  // Refused cards go through error paths: they must not echo the number either.
  await record(
    call("POST", "/v1/payments", { amount: 1000, currency: "USD", payment_method: card("4242424242424241") }),
  );
  await record(
    call("POST", "/v1/payments", {
      amount: 1000,
      currency: "USD",
      payment_method: card("4242424242424242", { exp_year: 2001 }),
    }),
  );
  await record(
    call("POST", "/v1/payments", {
      amount: 1000,
      currency: "USD",
      payment_method: card("378282246310005", { cvc: "12" }),
    }),
  );
  await record(
    call("POST", "/v1/payments", {
      amount: 1000,
      currency: "USD",
      payment_method: card("378282246310005"),
      extra: cvc,
    }),
  );
});
afterAll(() => cell?.stop());

describe("card data never in clear", () => {
  it("responses carry brand and last4 only", () => {
    expect(responses.length).toBeGreaterThan(16);
    for (const body of responses) for (const pan of pans) expect(body).not.toContain(pan);
    expect(responses.some((b) => b.includes('"last4":"0005"'))).toBe(true);
  });

  it("the gateway's log lines hold no card number, CVC or API key", () => {
    expect(cell.logLines.length).toBeGreaterThan(10);
    const logs = cell.logLines.join("\n");
    for (const pan of pans) expect(logs).not.toContain(pan);
    expect(logs).not.toMatch(cvcAlone);
    expect(logs).not.toContain("sk_test_");
  });

  it("no database column holds a card number or CVC in clear", async () => {
    const sql = postgres(cell.infra.postgresUrl, { max: 1, onnotice: () => {} });
    try {
      const tables = await sql<
        { tablename: string }[]
      >`select tablename from pg_tables where schemaname = 'public'`;
      let rows = 0;
      for (const { tablename } of tables) {
        const dump = await sql.unsafe(`select t::text as row from "${tablename}" t`);
        for (const { row } of dump as unknown as { row: string }[]) {
          rows++;
          for (const pan of pans) expect(row, tablename).not.toContain(pan);
          expect(row, tablename).not.toMatch(cvcAlone);
          expect(row, tablename).not.toContain('"cvc"');
        }
      }
      expect(rows).toBeGreaterThan(20);
      const [token] = await sql<
        { card_ciphertext: string }[]
      >`select card_ciphertext from card_tokens limit 1`;
      expect(token!.card_ciphertext).toMatch(/^v1\./);
    } finally {
      await sql.end();
    }
  });

  it("redaction covers card numbers, CVCs and the Authorization header wherever code logs them", () => {
    const lines: string[] = [];
    const logger = createLogger({ service: "t" }, { write: (l: string) => lines.push(l) });
    logger.info(
      { payment_method: { card: { number: pans[0], cvc } }, headers: { authorization: "Bearer sk_test_x" } },
      "body",
    );
    logger.info(
      { card: { number: pans[1] }, req: { headers: { authorization: "Bearer sk_live_y" } } },
      "req",
    );
    const out = lines.join("");
    expect(out).toContain("[redacted]");
    for (const secret of [pans[0]!, pans[1]!, "sk_test_x", "sk_live_y"]) expect(out).not.toContain(secret);
    expect(out).not.toMatch(cvcAlone);
  });
});
