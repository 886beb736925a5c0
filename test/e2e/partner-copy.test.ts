// The cell side of a move: a partner's rows exported from one real cell and imported into
// another come out identical (same checksums), catch-up by transaction id picks up later changes,
// and the freeze refuses the partner's requests with 503 partner_moving.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateMasterKeyBase64 } from "../../cell/vault/envelope.ts";
import { copyPartnerRows } from "../../control-plane/moves/copy-partner.ts";
import { createCellClient } from "../../shared/cell-api/cell-client.ts";
import { card, client, startTestCell, TEST_CELL_ADMIN_TOKEN, type TestCell } from "../harness.ts";
import { testMoveCapability } from "../move-capabilities.ts";

let source: TestCell;
let target: TestCell;

beforeAll(async () => {
  // Cells of one platform share its master key (fingerprints, request digests, sealed data keys).
  const env = { KEY_CACHE_TTL_MS: "0", CELLPAY_MASTER_KEY: generateMasterKeyBase64() };
  [source, target] = await Promise.all([startTestCell(env), startTestCell(env)]);
});
afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
});

async function copy(partnerId: string, sinceXid?: number): Promise<number> {
  const from = createCellClient({ internalUrls: [source.internalUrl], token: TEST_CELL_ADMIN_TOKEN });
  const to = createCellClient({ internalUrls: [target.internalUrl], token: TEST_CELL_ADMIN_TOKEN });
  // Pages of 7 rows: every table of the partner takes several pages.
  return copyPartnerRows(from, to, partnerId, {
    capability: () => testMoveCapability(partnerId),
    pageRows: 7,
    ...(sinceXid === undefined ? {} : { sinceXid }),
  });
}

describe("partner copy between cells", () => {
  it("copies every row exactly, catches up changes by transaction id, and freezes the partner", async () => {
    const { partnerId, apiKey } = await source.partner("Mover");
    const call = client(source.url, apiKey);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await call(
        "POST",
        "/v1/payments",
        {
          amount: 100 + i,
          currency: i % 3 ? "EUR" : "JPY",
          payment_method: card(),
          capture_method: i % 2 ? "manual" : "automatic",
          metadata: { i: String(i) },
        },
        { "idempotency-key": `mv-${i}` },
      );
      ids.push(String(res.body.id));
    }
    await call("POST", "/v1/refunds", { payment_id: ids[0], amount: 10 });
    await call("POST", "/v1/card_tokens", { card: card().card });

    const api = createCellClient({ internalUrls: [source.internalUrl], token: TEST_CELL_ADMIN_TOKEN });
    const xid = await api.xid();
    expect(await copy(partnerId)).toBeGreaterThan(40);

    // Changes after the copy started: a capture and a new payment.
    await call("POST", `/v1/payments/${ids[1]}/capture`, {});
    await call("POST", "/v1/payments", { amount: 999, currency: "EUR", payment_method: card() });
    const caught = await copy(partnerId, xid);
    expect(caught).toBeGreaterThanOrEqual(2);
    expect(caught).toBeLessThan(20);

    const a = await api.checksums(partnerId);
    const b = await createCellClient({
      internalUrls: [target.internalUrl],
      token: TEST_CELL_ADMIN_TOKEN,
    }).checksums(partnerId);
    expect(b.tables).toEqual(a.tables);
    expect(a.tables.find((t) => t.table === "payments")!.count).toBe(21);

    // The copied partner works on the target cell with the same key and idempotency records.
    const onTarget = client(target.url, apiKey);
    const replay = await onTarget(
      "POST",
      "/v1/payments",
      {
        amount: 100,
        currency: "JPY",
        payment_method: card(),
        capture_method: "automatic",
        metadata: { i: "0" },
      },
      { "idempotency-key": "mv-0" },
    );
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body.id).toBe(ids[0]);
    const token = await call("GET", "/v1/payments?limit=1");
    expect(token.status).toBe(200);
    const tok = await call("POST", "/v1/card_tokens", { card: card("5555555555554444").card });
    await copy(partnerId, xid);
    const paidByToken = await onTarget("POST", "/v1/payments", {
      amount: 50,
      currency: "EUR",
      payment_method: { type: "card_token", token: tok.body.id },
    });
    expect(paidByToken.body).toMatchObject({ status: "succeeded", card: { last4: "4444" } });

    const frozen = await api.freeze(partnerId);
    expect(frozen.frozen).toBe(true);
    const refused = await call("POST", "/v1/payments", {
      amount: 5,
      currency: "EUR",
      payment_method: card(),
    });
    expect(refused.status).toBe(503);
    expect(refused.body.error?.code).toBe("partner_moving");
    await api.unfreeze(partnerId, "active");
    expect((await call("GET", "/v1/payments")).status).toBe(200);

    const purged = await createCellClient({
      internalUrls: [target.internalUrl],
      token: TEST_CELL_ADMIN_TOKEN,
    }).purge(partnerId, testMoveCapability(partnerId));
    expect(purged.deleted).toBeGreaterThan(40);
    expect((await onTarget("GET", "/v1/payments")).status).toBe(401);
  });
});
