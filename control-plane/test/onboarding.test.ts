// Partners onboarded through the control plane onto 3 real cells: placement spreads them by
// weight, each key works on its cell, suspend/resume reach the cell and the routing table,
// limits and keys are managed in the cell, and a failed cell call leaves nothing behind.
// Needs the cells' internal API (/internal/v1, cell/gateway/internal/).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LATEST_API_VERSION } from "../../shared/api-versions.ts";
import { createCellClient } from "../../shared/cell-api/cell-client.ts";
import { card, client, startTestCell, type TestCell } from "../../test/harness.ts";
import {
  startTestControlPlane,
  TEST_CELL_ADMIN_TOKEN,
  type TestControlPlane,
} from "./control-plane-harness.ts";
import { registrySnapshot } from "./registry-snapshot.ts";

let cp: TestControlPlane;
const cells: Record<string, TestCell> = {};
const weights = { "cell-a": 1, "cell-b": 2, "cell-c": 3 } as const;
type CellId = keyof typeof weights;
const onboarded: { id: string; cell_id: CellId; api_key: string }[] = [];

const cellEnv = (id: string) => ({
  CELLPAY_CELL_ID: id,
  KEY_CACHE_TTL_MS: "0",
});
const pay = (partner: { cell_id: CellId; api_key: string }) =>
  client(cells[partner.cell_id]!.url, partner.api_key)("POST", "/v1/payments", {
    amount: 1000,
    currency: "EUR",
    payment_method: card(),
  });

beforeAll(async () => {
  const ids = Object.keys(weights) as CellId[];
  const [controlPlane, ...started] = await Promise.all([
    startTestControlPlane(),
    ...ids.map((id) => startTestCell(cellEnv(id))),
  ]);
  cp = controlPlane as TestControlPlane;
  ids.forEach((id, i) => {
    cells[id] = started[i] as TestCell;
  });
  for (const id of ids) {
    const res = await cp.admin("POST", "/admin/v1/cells", {
      id,
      weight: weights[id],
      gateways: [cells[id]!.url],
      internal_gateways: [cells[id]!.internalUrl],
    });
    expect(res.status).toBe(201);
  }
});
afterAll(async () => {
  await Promise.all([cp?.stop(), ...Object.values(cells).map((c) => c.stop())]);
});

describe("onboarding through the control plane", () => {
  it("spreads 30 partners across 3 cells in proportion to their weights", async () => {
    for (let i = 0; i < 30; i++) {
      const res = await cp.admin("POST", "/admin/v1/partners", { name: `Partner ${i}` });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body).toMatchObject({ status: "active", name: `Partner ${i}` });
      expect(res.body.id).toMatch(/^ptr_/);
      expect(res.body.api_key).toMatch(/^sk_test_/);
      onboarded.push(res.body);
    }
    const counts = { "cell-a": 0, "cell-b": 0, "cell-c": 0 };
    for (const p of onboarded) counts[p.cell_id]++;
    for (const id of Object.keys(weights) as CellId[])
      expect(Math.abs(counts[id] - weights[id] * 5)).toBeLessThanOrEqual(1);
    const listed = await cp.admin("GET", "/admin/v1/cells");
    for (const c of listed.body.data) expect(c.partner_count).toBe(counts[c.id as CellId]);
  });

  it("gives each partner a key that pays on its own cell's gateway", async () => {
    const results = await Promise.all(onboarded.map(pay));
    for (const r of results) expect(r.status, JSON.stringify(r.body)).toBe(201);
  });

  it("shows a partner with its cell and its traffic", async () => {
    const p = onboarded[0]!;
    const res = await cp.admin("GET", `/admin/v1/partners/${p.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: p.id,
      cell_id: p.cell_id,
      cell: { id: p.cell_id, state: "active" },
    });
    expect(res.body.traffic.payments_total).toBeGreaterThanOrEqual(1);
  });

  it("suspends a partner in its cell (403) and the routing table (next version), then resumes it", async () => {
    const p = onboarded[1]!;
    const version = (await registrySnapshot(cp.postgresUrl)).routingVersion;
    const suspended = await cp.admin("POST", `/admin/v1/partners/${p.id}/suspend`, {
      reason: "chargeback review",
    });
    expect(suspended.status).toBe(200);
    expect(suspended.body.status).toBe("suspended");
    const delta = await cp.waitForDelta((d) => d.partners[p.id]?.status === "suspended");
    expect(delta.version).toBe(version + 1);
    expect(delta.partners[p.id]).toEqual({ cell: p.cell_id, status: "suspended", frozen: false });
    const refused = await pay(p);
    expect(refused.status).toBe(403);
    expect(refused.body.error?.code).toBe("partner_suspended");

    expect((await cp.admin("POST", `/admin/v1/partners/${p.id}/resume`)).body.status).toBe("active");
    const resumed = await cp.waitForDelta((d) => d.version > delta.version && d.partners[p.id] !== undefined);
    expect(resumed.partners[p.id]?.status).toBe("active");
    expect(resumed.version).toBe(version + 2);
    expect((await pay(p)).status).toBe(201);
    const audit = await cp.admin("GET", "/admin/v1/audit-log?limit=20");
    const changes = audit.body.data.filter((e: { after: unknown }) => e.after !== null);
    expect(
      changes.slice(0, 2).map((e: { action: string; reason: string | null }) => [e.action, e.reason]),
    ).toEqual([
      ["partner.resume", null],
      ["partner.suspend", "chargeback review"],
    ]);
  });

  it("stores limits in the registry and pushes them to the cell", async () => {
    const p = onboarded[2]!;
    const limits = { rate_limit: { rate: 5, burst: 10 }, max_concurrency: 3 };
    const res = await cp.admin("PUT", `/admin/v1/partners/${p.id}/limits`, limits);
    expect(res.status).toBe(200);
    expect(res.body.settings).toMatchObject(limits);
    const inCell = await createCellClient({
      internalUrls: [cells[p.cell_id]!.internalUrl],
      token: TEST_CELL_ADMIN_TOKEN,
    }).getPartner(p.id);
    expect(inCell.settings).toMatchObject(limits);
  });

  it("pins new partners to the newest API version; set-version pins another, pushes it to the cell, keeps the limits and is audited", async () => {
    const p = onboarded[2]!;
    const before = await cp.admin("GET", `/admin/v1/partners/${p.id}`);
    expect(before.body.settings.api_version).toBe(LATEST_API_VERSION);
    expect((await pay(p)).headers.get("cellpay-version")).toBe(LATEST_API_VERSION);
    const res = await cp.admin("PUT", `/admin/v1/partners/${p.id}/api-version`, {
      api_version: "2026-06-01",
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.settings).toMatchObject({ api_version: "2026-06-01", max_concurrency: 3 });
    const inCell = await createCellClient({
      internalUrls: [cells[p.cell_id]!.internalUrl],
      token: TEST_CELL_ADMIN_TOKEN,
    }).getPartner(p.id);
    expect(inCell.settings).toMatchObject({ api_version: "2026-06-01", max_concurrency: 3 });
    const answer = await pay(p);
    expect(answer.headers.get("cellpay-version")).toBe("2026-06-01");
    expect(answer.body).toHaveProperty("failure_code", null);
    const unknown = await cp.admin("PUT", `/admin/v1/partners/${p.id}/api-version`, {
      api_version: "2031-01-01",
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ param: "api_version" });
    const audit = await cp.admin("GET", "/admin/v1/audit-log?limit=20");
    const entry = audit.body.data.find(
      (e: { action: string; after: unknown }) => e.action === "partner.set_api_version" && e.after !== null,
    );
    expect(entry).toMatchObject({ target: p.id, after: { settings: { api_version: "2026-06-01" } } });
  });

  it("rotates a key: the new one works, the revoked one no longer does", async () => {
    const p = onboarded[3]!;
    const keys = await cp.admin("GET", `/admin/v1/partners/${p.id}/keys`);
    expect(keys.status).toBe(200);
    const oldKeyId = keys.body.data[0].key_id;
    const rotated = await cp.admin("POST", `/admin/v1/partners/${p.id}/keys`, { revoke_key_id: oldKeyId });
    expect(rotated.status).toBe(201);
    expect(rotated.body.api_key).toMatch(/^sk_test_/);
    expect((await pay({ ...p, api_key: rotated.body.api_key })).status).toBe(201);
    expect((await pay(p)).status).toBe(401);
    const unknown = await cp.admin("POST", `/admin/v1/partners/${p.id}/keys`, { revoke_key_id: "key_nope" });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.param).toBe("revoke_key_id");
  });

  it("issues a live key only through enable-live (audited); live payments then reach the live connector", async () => {
    const p = onboarded[4]!;
    const call = (key: string) => client(cells[p.cell_id]!.url, key);
    // Onboarding gave a test key; a live key before going live is refused.
    expect(p.api_key).toMatch(/^sk_test_/);
    const early = await cp.admin("POST", `/admin/v1/partners/${p.id}/keys`, {
      mode: "live",
      reason: "early",
    });
    expect(early.status).toBe(403);
    expect(early.body.error.code).toBe("live_mode_not_enabled");
    expect((await cp.admin("POST", `/admin/v1/partners/${p.id}/enable-live`, {})).status).toBe(400);

    const enabled = await cp.admin("POST", `/admin/v1/partners/${p.id}/enable-live`, {
      connector: "sandbox",
      reason: "contract signed",
    });
    expect(enabled.status, JSON.stringify(enabled.body)).toBe(201);
    expect(enabled.body).toMatchObject({ partner_id: p.id, live_connector: "sandbox" });
    const liveKey = String(enabled.body.api_key);
    expect(liveKey).toMatch(/^sk_live_/);
    const again = await cp.admin("POST", `/admin/v1/partners/${p.id}/enable-live`, { reason: "twice" });
    expect(again.status).toBe(409);

    // A real-looking card is approved in live mode; the simulator's test card is declined.
    const live = await call(liveKey)("POST", "/v1/payments", {
      amount: 1000,
      currency: "EUR",
      payment_method: card("4111111111111111"),
    });
    expect(live.status, JSON.stringify(live.body)).toBe(201);
    expect(live.body).toMatchObject({ livemode: true, status: "succeeded" });
    const testCard = await call(liveKey)("POST", "/v1/payments", {
      amount: 1000,
      currency: "EUR",
      payment_method: card("4242424242424242"),
    });
    expect(testCard.body).toMatchObject({
      livemode: true,
      status: "failed",
      failure: { code: "test_card_in_live_mode" },
    });
    // The test key still pays in test mode, and sees none of the live payments.
    const testPay = await pay(p);
    expect(testPay.body).toMatchObject({ livemode: false, status: "succeeded" });
    expect((await call(p.api_key)("GET", `/v1/payments/${live.body.id}`)).status).toBe(404);

    const audit = await cp.admin("GET", "/admin/v1/audit-log?limit=100");
    const entry = (audit.body.data as { action: string; target: string; reason: string | null }[]).find(
      (e) => e.action === "partner.enable_live" && e.target === p.id,
    );
    expect(entry, "enable-live is in the audit trail").toBeDefined();
    expect(entry?.reason).toBe("contract signed");
    // More live keys now come from rotate-key.
    const second = await cp.admin("POST", `/admin/v1/partners/${p.id}/keys`, {
      mode: "live",
      reason: "rotation",
    });
    expect(second.status).toBe(201);
    expect(second.body.api_key).toMatch(/^sk_live_/);
  });

  it("leaves nothing half-written when the cell cannot provision, and stops placing on a dead cell", async () => {
    await cells["cell-c"]!.gateway.close();
    const before = await registrySnapshot(cp.postgresUrl);
    const res = await cp.admin("POST", "/admin/v1/partners", { name: "Late", cell_id: "cell-c" });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe("cell_unavailable");
    expect(await registrySnapshot(cp.postgresUrl)).toEqual(before);
    // The health checker marks it down; traffic for its partners reads as unknown, not an error.
    await expect
      .poll(async () => (await cp.admin("GET", "/admin/v1/cells/cell-c")).body.health.status)
      .toBe("down");
    const stranded = onboarded.find((p) => p.cell_id === "cell-c")!;
    expect((await cp.admin("GET", `/admin/v1/partners/${stranded.id}`)).body.traffic).toBeNull();
    for (let i = 0; i < 3; i++) {
      const placed = await cp.admin("POST", "/admin/v1/partners", { name: `Elsewhere ${i}` });
      expect(placed.status).toBe(201);
      expect(placed.body.cell_id).not.toBe("cell-c");
    }
  });
});
