// The cell's internal API as the control plane uses it (shared/cell-api/cell-client.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CellApiError, createCellClient } from "../../shared/cell-api/cell-client.ts";
import { newId } from "../../shared/ids.ts";
import { card, client, startTestCell, TEST_CELL_ADMIN_TOKEN, type TestCell } from "../harness.ts";

let cell: TestCell;

beforeAll(async () => {
  cell = await startTestCell({ KEY_CACHE_TTL_MS: "0" });
});
afterAll(() => cell?.stop());

const cellClient = () =>
  createCellClient({ internalUrls: ["http://127.0.0.1:1", cell.internalUrl], token: TEST_CELL_ADMIN_TOKEN });
const pay = { amount: 100, currency: "EUR", payment_method: card() };

describe("cell internal API", () => {
  it("publishes its contract as OpenAPI, every route documented from the shared schemas", async () => {
    const res = await fetch(`${cell.internalUrl}/internal/v1/openapi.json`, {
      headers: { authorization: `Bearer ${TEST_CELL_ADMIN_TOKEN}` },
    });
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.values(doc.paths).flatMap((p) => Object.keys(p));
    expect(operations).toHaveLength(29);
    expect(Object.keys(doc.paths)).toContain("/partners/{id}/import/{table}");
    // Key management too, with the answers the control plane's client parses.
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/keys", "/keys/rotate-master", "/keys/rotate-data", "/keys/destroy-retired"]),
    );
    const rotateData = doc.paths["/keys/rotate-data"]?.post as { responses: Record<string, unknown> };
    expect(Object.keys(rotateData.responses)).toEqual(expect.arrayContaining(["202", "400", "409"]));
    // Like the rest of the internal API, only to the cell-admin credential.
    expect((await fetch(`${cell.internalUrl}/internal/v1/openapi.json`)).status).toBe(401);
  });

  it("refuses calls without the cell-admin credential, and partner keys are not internal credentials", async () => {
    const { apiKey } = await cell.partner();
    const noToken = await fetch(`${cell.internalUrl}/internal/v1/health`);
    expect(noToken.status).toBe(401);
    const partnerKey = await fetch(`${cell.internalUrl}/internal/v1/health`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    expect(partnerKey.status).toBe(401);
    expect(await cellClient().ready()).toBe(true);
  });

  it("provisions a partner with a first key (past a dead gateway), suspends and resumes it, rotates keys", async () => {
    const api = cellClient();
    const id = newId("ptr");
    const made = await api.provisionPartner({ id, name: "Acme", first_key_mode: "test" });
    expect(made.partner_id).toBe(id);
    const call = client(cell.url, made.api_key!);
    expect((await call("POST", "/v1/payments", pay)).status).toBe(201);

    await api.updatePartner(id, { status: "suspended" });
    const refused = await call("POST", "/v1/payments", pay);
    expect(refused.status).toBe(403);
    expect(refused.body.error?.code).toBe("partner_suspended");
    await api.updatePartner(id, { status: "active", settings: { rate_limit: { rate: 5, burst: 5 } } });
    expect((await call("GET", "/v1/payments")).headers.get("ratelimit-limit")).toBe("5");

    const second = await api.issueKey(id, "live");
    expect(second.api_key).toMatch(/^sk_live_/);
    const keys = await api.listKeys(id);
    expect(keys.data).toHaveLength(2);
    const first = keys.data.find((k) => k.mode === "test")!;
    expect((await api.revokeKey(id, first.key_id)).revoked).toBe(true);
    expect((await call("GET", "/v1/payments")).status).toBe(401);
    expect((await client(cell.url, second.api_key)("GET", "/v1/payments")).status).toBe(200);

    const traffic = await api.traffic(id);
    expect(traffic).toMatchObject({
      partner_id: id,
      payments_total: 1,
      captured_by_currency: { EUR: 100 },
      webhooks: {
        endpoints_enabled: 0,
        pending: 0,
        dead: 0,
        delivered_last_hour: 0,
        failed_attempts_last_hour: 0,
      },
    });
  });

  it("answers 404 for an unknown partner and 400 for a bad body", async () => {
    const api = cellClient();
    await expect(api.getPartner(newId("ptr"))).rejects.toMatchObject({
      status: 404,
      code: "resource_not_found",
    });
    const bad = api.provisionPartner({ id: "nope", name: "" } as never);
    await expect(bad).rejects.toBeInstanceOf(CellApiError);
    await expect(bad).rejects.toMatchObject({ status: 400 });
  });
});
