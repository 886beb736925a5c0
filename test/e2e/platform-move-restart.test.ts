// A control plane restarted in the middle of a move (while it copies a partner with thousands of
// rows) rolls the move back at start: status rolled_back, the partner whole on its source cell and
// served there through the routers, nothing of it left on the target.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runningMoves } from "../../control-plane/moves/start-move.ts";
import { card, client } from "../harness.ts";
import { type Move, type Platform, startPlatform } from "../platform-harness.ts";

let platform: Platform;
beforeAll(async () => {
  platform = await startPlatform({ cells: [{ id: "cell-a" }, { id: "cell-b" }, { id: "cell-c" }] });
});
afterAll(async () => {
  await platform?.stop();
});

const BULK = 6000;

const countRows = async (url: string, partnerId: string) => {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ payments: number; partners: number }[]>`
      select (select count(*)::int from payments where partner_id = ${partnerId}) as payments,
             (select count(*)::int from partners where id = ${partnerId}) as partners`;
    return row!;
  } finally {
    await sql.end({ timeout: 1 });
  }
};

describe("platform: control plane restarted during a move", () => {
  it("rolls the move back at start: the partner stays whole on its source and keeps being served", async () => {
    const partner = await platform.onboard("Big partner", "cell-a");
    const call = platform.partnerClient(partner.api_key, 0);
    const first = await call("POST", "/v1/payments", {
      amount: 700,
      currency: "EUR",
      payment_method: card(),
    });
    expect(first.status).toBe(201);
    // Thousands of rows make the copy slow enough to be caught in the middle.
    const source = postgres(platform.cell("cell-a").infra.postgresUrl, { max: 1, onnotice: () => {} });
    await source`
      insert into payments (id, partner_id, status, amount, currency, capture_method, amount_captured,
        card_brand, card_bin, card_last4, card_exp_month, card_exp_year, card_fingerprint, reference, metadata,
        livemode)
      select 'pay_bulk' || lpad(g::text, 20, '0'), partner_id, status, amount + g, currency, capture_method,
        amount_captured + g, card_brand, card_bin, card_last4, card_exp_month, card_exp_year, card_fingerprint,
        'bulk-' || g, jsonb_build_object('bulk', g::text, 'pad', repeat('x', 400)), livemode
      from payments p, generate_series(1, ${BULK}) g where p.id = ${String(first.body.id)}`;
    await source.end();
    const before = await countRows(platform.cell("cell-a").infra.postgresUrl, partner.id);
    expect(before.payments).toBe(BULK + 1);

    const started = await platform.admin<Move>("POST", `/admin/v1/partners/${partner.id}/move`, {
      target_cell_id: "cell-b",
      reason: "test move",
    });
    expect(started.status).toBe(202);
    let seen = started.body.status;
    for (let i = 0; i < 500 && seen !== "copying" && seen !== "catching_up"; i++) {
      await new Promise((r) => setTimeout(r, 10));
      seen = (await platform.admin<Move>("GET", `/admin/v1/moves/${started.body.id}`)).body.status;
    }
    expect(["copying", "catching_up"]).toContain(seen);

    // The process "dies": its database connection ends under the running move. In one test process
    // the old run is still a promise here; let it fail before the new control plane starts.
    const oldRun = runningMoves.get(started.body.id)?.catch(() => {});
    await platform.stopControlPlane();
    await oldRun;
    const stuck = await (async () => {
      const sql = postgres(platform.controlPlanePostgresUrl, { max: 1, onnotice: () => {} });
      const [row] = await sql<{ status: string }[]>`select status from moves where id = ${started.body.id}`;
      await sql.end();
      return row!.status;
    })();
    console.log(`control plane stopped with the move '${seen}'; the move row was left '${stuck}'`);
    expect(["pending", "copying", "catching_up"]).toContain(stuck);

    await platform.startControlPlane();
    const move = await platform.waitMove(started.body.id, 10_000);
    expect(move.status).toBe("rolled_back");
    expect(move.error).toMatch(/control plane restarted/);
    const registry = await platform.admin<{ cell_id: string; status: string }>(
      "GET",
      `/admin/v1/partners/${partner.id}`,
    );
    expect(registry.body).toMatchObject({ cell_id: "cell-a", status: "active" });

    // Whole on its source, nothing on the target, and served through both routers.
    expect(await countRows(platform.cell("cell-a").infra.postgresUrl, partner.id)).toEqual(before);
    expect(await countRows(platform.cell("cell-b").infra.postgresUrl, partner.id)).toEqual({
      payments: 0,
      partners: 0,
    });
    for (const routerIndex of [0, 1]) {
      const paid = await platform.partnerClient(partner.api_key, routerIndex)("POST", "/v1/payments", {
        amount: 900,
        currency: "EUR",
        payment_method: card(),
      });
      expect(paid.status).toBe(201);
      const direct = await client(platform.cell("cell-a").url, partner.api_key)(
        "GET",
        `/v1/payments/${paid.body.id}`,
      );
      expect(direct.status).toBe(200);
      const old = await platform.partnerClient(partner.api_key, routerIndex)(
        "GET",
        "/v1/payments/pay_bulk00000000000000000042",
      );
      expect(old.body).toMatchObject({ id: "pay_bulk00000000000000000042", amount: 742 });
    }

    // A new move of the same partner can start once the old one is rolled back, and completes.
    const again = await platform.admin<Move>("POST", `/admin/v1/partners/${partner.id}/move`, {
      target_cell_id: "cell-c",
      reason: "test move",
    });
    expect(again.status).toBe(202);
    const done = await platform.waitMove(again.body.id);
    expect(done.status).toBe("completed");
    expect(await countRows(platform.cell("cell-c").infra.postgresUrl, partner.id)).toEqual({
      payments: BULK + 3,
      partners: 1,
    });
  });
});
