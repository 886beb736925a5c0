// The whole platform (3 real cells, the control plane, 2 routers): onboarding spreads partners by
// weight and each partner lands on its own cell through either router; bad move/drain input gets
// a clear 4xx and changes nothing; with the control plane stopped the routers keep routing, and a
// router restarted meanwhile serves from its snapshot.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { card, client } from "../harness.ts";
import { type Move, type OnboardedPartner, type Platform, startPlatform } from "../platform-harness.ts";

let platform: Platform;
const weights: Record<string, number> = { "cell-a": 1, "cell-b": 2, "cell-c": 3 };
const partners: OnboardedPartner[] = [];

beforeAll(async () => {
  platform = await startPlatform({ cells: Object.entries(weights).map(([id, weight]) => ({ id, weight })) });
});
afterAll(async () => {
  await platform?.stop();
});

const pay = (p: OnboardedPartner, routerIndex: number, extra: Record<string, unknown> = {}) =>
  platform.partnerClient(p.api_key, routerIndex)("POST", "/v1/payments", {
    amount: 1200,
    currency: "EUR",
    payment_method: card(),
    ...extra,
  });

/** What a refused admin action must leave as it was. */
async function registryState(partnerId: string) {
  const sql = postgres(platform.controlPlanePostgresUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ moves: number; drains: number }[]>`
      select (select count(*)::int from moves) as moves, (select count(*)::int from drains) as drains`;
    const table = await platform.admin<{ version: number }>("GET", "/admin/v1/routing-table");
    const partner = await platform.admin<{ cell_id: string }>("GET", `/admin/v1/partners/${partnerId}`);
    return { ...row!, version: table.body.version, cell: partner.body.cell_id };
  } finally {
    await sql.end({ timeout: 1 });
  }
}

describe("platform: onboarding and routing", () => {
  it("onboards 30 partners spread by weight (5/10/15), each served by its cell through either router", async () => {
    for (let i = 0; i < 30; i++) partners.push(await platform.onboard(`Partner ${i}`));
    const byCell = (id: string) => partners.filter((p) => p.cell_id === id).length;
    expect([byCell("cell-a"), byCell("cell-b"), byCell("cell-c")]).toEqual([5, 10, 15]);
    const cells = await platform.admin<{ data: { id: string; partner_count: number }[] }>(
      "GET",
      "/admin/v1/cells",
    );
    expect(Object.fromEntries(cells.body.data.map((c) => [c.id, c.partner_count]))).toEqual({
      "cell-a": 5,
      "cell-b": 10,
      "cell-c": 15,
    });

    for (const [i, p] of partners.entries()) {
      const created = await pay(p, i % 2);
      expect(created.status).toBe(201);
      const id = String(created.body.id);
      const viaOther = await platform.partnerClient(p.api_key, (i + 1) % 2)("GET", `/v1/payments/${id}`);
      expect(viaOther.status).toBe(200);
      expect(viaOther.body).toMatchObject({ id, status: "succeeded", amount: 1200 });
      for (const { id: cellId, cell } of platform.cells) {
        const direct = await client(cell.url, p.api_key)("GET", `/v1/payments/${id}`);
        if (cellId === p.cell_id) expect(direct.body.id).toBe(id);
        else expect([401, 404]).toContain(direct.status);
      }
    }
  });

  it("refuses bad move and drain input with a clear 4xx and changes nothing", async () => {
    const onA = partners.find((p) => p.cell_id === "cell-a")!;
    let before = await registryState(onA.id);
    const expectUnchanged = async () => expect(await registryState(onA.id)).toEqual(before);
    const move = (partnerId: string, target: string) =>
      platform.admin<Move>("POST", `/admin/v1/partners/${partnerId}/move`, {
        target_cell_id: target,
        reason: "test move",
      });

    const unknownCell = await move(onA.id, "cell-nope");
    expect(unknownCell.status).toBe(404);
    expect(unknownCell.body.error).toMatchObject({ code: "resource_not_found", param: "target_cell_id" });
    const ghost = await move("ptr_0000000000doesnotexist0", "cell-b");
    expect(ghost.status).toBe(404);
    expect(ghost.body.error?.code).toBe("resource_not_found");
    const ownCell = await move(onA.id, "cell-a");
    expect(ownCell.status).toBe(400);
    expect(ownCell.body.error).toMatchObject({ code: "invalid_request", param: "target_cell_id" });
    const noTarget = await platform.admin("POST", `/admin/v1/partners/${onA.id}/move`, {
      reason: "test move",
    });
    expect(noTarget.status).toBe(400);
    expect((await platform.admin("POST", "/admin/v1/cells/cell-nope/drain", { reason: "test" })).status).toBe(
      404,
    );
    await expectUnchanged();

    expect(
      (await platform.admin("PUT", "/admin/v1/cells/cell-c/state", { state: "draining", reason: "test" }))
        .status,
    ).toBe(200);
    before = await registryState(onA.id);
    const draining = await move(onA.id, "cell-c");
    expect(draining.status).toBe(409);
    expect(draining.body.error).toMatchObject({ code: "cell_not_accepting", param: "target_cell_id" });
    await expectUnchanged();
    expect(
      (await platform.admin("PUT", "/admin/v1/cells/cell-c/state", { state: "active", reason: "test" }))
        .status,
    ).toBe(200);

    // A second move while the first one runs: 409, and no second move row.
    for (let i = 0; i < 20; i++) expect((await pay(onA, 0)).status).toBe(201);
    before = await registryState(onA.id);
    const first = await move(onA.id, "cell-b");
    expect(first.status).toBe(202);
    const second = await move(onA.id, "cell-c");
    expect(second.status).toBe(409);
    expect(second.body.error?.code).toBe("move_in_progress");
    expect((await registryState(onA.id)).moves).toBe(before.moves + 1);
    const done = await platform.waitMove(first.body.id);
    expect(done.status).toBe("completed");
    onA.cell_id = "cell-b";
    expect((await registryState(onA.id)).cell).toBe("cell-b");
  });

  it("keeps routing with the control plane stopped; a router restarted meanwhile serves from its snapshot", async () => {
    // Let the routers' debounced snapshot catch up with the last change first.
    await new Promise((r) => setTimeout(r, 500));
    await platform.stopControlPlane();
    const sample = ["cell-a", "cell-b", "cell-c"].flatMap((id) =>
      partners.filter((p) => p.cell_id === id).slice(0, 3),
    );
    for (const routerIndex of [0, 1]) {
      for (const p of sample) expect((await pay(p, routerIndex)).status).toBe(201);
    }
    const restarted = await platform.restartRouter(1);
    expect(restarted.store.table.partners[partners[0]!.id]).toBeDefined();
    const ready = await fetch(`${restarted.url}/readyz`);
    expect(ready.status).toBe(200);
    // Every partner, the moved one included (its route is the snapshot's, not the onboarding one).
    for (const p of partners) {
      const created = await pay(p, 1);
      expect(created.status).toBe(201);
      const direct = await client(platform.cell(p.cell_id).url, p.api_key)(
        "GET",
        `/v1/payments/${created.body.id}`,
      );
      expect(direct.status).toBe(200);
    }
  });
});
