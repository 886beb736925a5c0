// Draining a real cell of 30 partners through the admin API: the drain completes, the cell is left
// draining with no partner, and every drained partner keeps working through the routers (new
// payments, old ones readable), including some that kept paying while the drain ran.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { card, client } from "../harness.ts";
import { type Drain, type OnboardedPartner, type Platform, startPlatform } from "../platform-harness.ts";

const PARTNERS = 30;
let platform: Platform;
beforeAll(async () => {
  platform = await startPlatform({ cells: [{ id: "cell-a" }, { id: "cell-b" }, { id: "cell-c" }] });
});
afterAll(async () => {
  await platform?.stop();
});

const pay = (p: OnboardedPartner, routerIndex: number) =>
  platform.partnerClient(p.api_key, routerIndex)("POST", "/v1/payments", {
    amount: 2500,
    currency: "EUR",
    payment_method: card(),
    capture_method: "manual",
  });

describe("platform: draining a cell", () => {
  it(`moves all ${PARTNERS} partners out; the cell ends draining and empty; every partner keeps working`, async () => {
    const partners: OnboardedPartner[] = [];
    for (let i = 0; i < PARTNERS; i++) partners.push(await platform.onboard(`Drained ${i}`, "cell-a"));
    const firstPayments = new Map<string, string>();
    for (const [i, p] of partners.entries()) {
      const res = await pay(p, i % 2);
      expect(res.status).toBe(201);
      firstPayments.set(p.id, String(res.body.id));
    }

    // A few partners keep paying while their cell drains.
    let draining = true;
    const statuses: number[] = [];
    const busy = partners.slice(0, 3).map(async (p, k) => {
      while (draining) statuses.push((await pay(p, k % 2)).status);
    });

    const started = performance.now();
    const res = await platform.admin<Drain>("POST", "/admin/v1/cells/cell-a/drain", {
      reason: "test: drain cell-a",
    });
    expect(res.status).toBe(202);
    const drain = await platform.waitDrain(res.body.id);
    const seconds = (performance.now() - started) / 1000;
    draining = false;
    await Promise.all(busy);
    console.log(
      `drained ${PARTNERS} partners from cell-a in ${seconds.toFixed(1)} s ` +
        `(${((seconds * 1000) / PARTNERS).toFixed(0)} ms per partner, parallelism 2); ` +
        `${statuses.length} payments made by 3 of them meanwhile`,
    );
    expect(drain.status).toBe("completed");
    expect(drain.progress).toMatchObject({ total: PARTNERS, moved: PARTNERS, failed: 0 });
    expect(statuses.filter((s) => s !== 201)).toEqual([]);

    const cell = await platform.admin<{ state: string; partner_count: number }>(
      "GET",
      "/admin/v1/cells/cell-a",
    );
    expect(cell.body).toMatchObject({ state: "draining", partner_count: 0 });
    const left = await platform.admin<{ data: unknown[] }>("GET", "/admin/v1/partners?cell_id=cell-a");
    expect(left.body.data).toEqual([]);
    // No new partner goes to a draining cell.
    expect((await platform.onboard("After the drain")).cell_id).not.toBe("cell-a");

    for (const [i, p] of partners.entries()) {
      const registry = await platform.admin<{ cell_id: string }>("GET", `/admin/v1/partners/${p.id}`);
      const home = registry.body.cell_id;
      expect(["cell-b", "cell-c"]).toContain(home);
      const call = platform.partnerClient(p.api_key, i % 2);
      const old = await call("GET", `/v1/payments/${firstPayments.get(p.id)}`);
      expect(old.body).toMatchObject({ id: firstPayments.get(p.id), status: "requires_capture" });
      const captured = await call("POST", `/v1/payments/${firstPayments.get(p.id)}/capture`, {});
      expect(captured.body.status).toBe("succeeded");
      const paid = await pay(p, (i + 1) % 2);
      expect(paid.status).toBe(201);
      const direct = await client(platform.cell(home).url, p.api_key)("GET", `/v1/payments/${paid.body.id}`);
      expect(direct.status).toBe(200);
    }
  }, 180_000); // 30 moves one after another: a loaded 2-core machine needs more than the default minute
});
