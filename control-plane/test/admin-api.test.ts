// The admin API against a real control plane (its own Postgres and NATS) and one real cell:
// authentication, cell registration and states, routing versions, bad input, audit, restart.
// The health checker reads the cell's database layout through its internal API; nothing else here needs it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../platform/wait-for.ts";
import { parseRoutingPublicKey, routingSignatureValid } from "../../shared/routing/routing-signature.ts";
import { startTestCell, type TestCell } from "../../test/harness.ts";
import {
  startTestControlPlane,
  TEST_ROUTER_TABLE_TOKEN,
  type TestControlPlane,
} from "./control-plane-harness.ts";
import { registrySnapshot } from "./registry-snapshot.ts";

let cp: TestControlPlane;
let cell: TestCell;

beforeAll(async () => {
  [cp, cell] = await Promise.all([startTestControlPlane(), startTestCell({ CELLPAY_CELL_ID: "cell-a" })]);
});
afterAll(async () => {
  await Promise.all([cp?.stop(), cell?.stop()]);
});

const unchanged = async (action: () => Promise<unknown>) => {
  const before = await registrySnapshot(cp.postgresUrl);
  await action();
  expect(await registrySnapshot(cp.postgresUrl)).toEqual(before);
};

describe("admin API", () => {
  it("serves its OpenAPI document without a token", async () => {
    const res = await cp.admin("GET", "/admin/v1/openapi.json", undefined, null);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.paths)).toContain("/admin/v1/partners/{id}/suspend");
  });

  it("answers 401 admin_token_required without a token, with an unknown one, or with a partner key", async () => {
    for (const token of [null, "adm_not_a_real_token_at_all_0000", "sk_test_ptr_whatever"]) {
      const res = await cp.admin("GET", "/admin/v1/cells", undefined, token);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe("admin_token_required");
      expect(res.body.error.request_id).toMatch(/^req_/);
    }
  });

  it("refuses to register a cell whose gateways are not ready (422) and changes nothing", async () => {
    await unchanged(async () => {
      const res = await cp.admin("POST", "/admin/v1/cells", {
        id: "cell-x",
        weight: 1,
        gateways: ["http://127.0.0.1:1"],
        internal_gateways: ["http://127.0.0.1:2"],
      });
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe("cell_not_ready");
      // A ready gateway of another cell does not pass for this one.
      const wrong = await cp.admin("POST", "/admin/v1/cells", {
        id: "cell-x",
        weight: 1,
        gateways: [cell.url],
        internal_gateways: [cell.internalUrl],
      });
      expect(wrong.status).toBe(422);
      // Ready public gateways with an internal URL that is not this cell's internal listener: the
      // public URL given as internal (it serves no internal API), or a dead port.
      for (const internal of [cell.url, "http://127.0.0.1:1"]) {
        const noInternal = await cp.admin("POST", "/admin/v1/cells", {
          id: "cell-a",
          weight: 1,
          gateways: [cell.url],
          internal_gateways: [internal],
        });
        expect(noInternal.status).toBe(422);
        expect(noInternal.body.error).toMatchObject({ code: "cell_not_ready", param: "internal_gateways" });
      }
    });
  });

  it("refuses a cell without internal gateway URLs, or with one per gateway missing (400 naming the field)", async () => {
    await unchanged(async () => {
      const missing = await cp.admin("POST", "/admin/v1/cells", {
        id: "cell-a",
        weight: 1,
        gateways: [cell.url],
      });
      expect(missing.status).toBe(400);
      expect(missing.body.error).toMatchObject({ code: "invalid_request", param: "internal_gateways" });
      const short = await cp.admin("POST", "/admin/v1/cells", {
        id: "cell-a",
        weight: 1,
        gateways: [cell.url, cell.url.replace(/:(\d+)$/, ":1")],
        internal_gateways: [cell.internalUrl],
      });
      expect(short.status).toBe(400);
      expect(short.body.error).toMatchObject({ code: "invalid_request", param: "internal_gateways" });
    });
  });

  it("registers a ready cell: active, audited, and published as the next routing version", async () => {
    const before = await registrySnapshot(cp.postgresUrl);
    const res = await cp.admin("POST", "/admin/v1/cells", {
      id: "cell-a",
      weight: 2,
      gateways: [cell.url],
      internal_gateways: [cell.internalUrl],
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      id: "cell-a",
      state: "active",
      weight: 2,
      gateways: [cell.url],
      internal_gateways: [cell.internalUrl],
      partner_count: 0,
    });
    expect(res.body.health.status).toBe("ok");
    const delta = await cp.waitForDelta((d) => d.cells["cell-a"] !== undefined);
    expect(delta.version).toBe(before.routingVersion + 1);
    // The routers learn the public URLs only, never the internal listeners.
    expect(delta.cells["cell-a"]).toEqual({ state: "active", gateways: [cell.url] });
    expect(JSON.stringify(delta)).not.toContain(cell.internalUrl);

    // The launcher calls it at every start: the same registration changes no route.
    const again = await cp.admin("POST", "/admin/v1/cells", {
      id: "cell-a",
      weight: 2,
      gateways: [cell.url],
      internal_gateways: [cell.internalUrl],
    });
    expect(again.status).toBe(200);
    expect((await registrySnapshot(cp.postgresUrl)).routingVersion).toBe(delta.version);
  });

  it("re-points a registered cell's gateways only with a reason", async () => {
    const elsewhere = {
      id: "cell-a",
      weight: 2,
      gateways: [cell.url.replace("127.0.0.1", "localhost")], // the same gateway, another URL
      internal_gateways: [cell.internalUrl],
    };
    await unchanged(async () => {
      const res = await cp.admin("POST", "/admin/v1/cells", elsewhere);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: "reason_required", param: "reason" });
    });
    const moved = await cp.admin("POST", "/admin/v1/cells", { ...elsewhere, reason: "gateway host renamed" });
    expect(moved.status).toBe(200);
    expect(moved.body.gateways).toEqual(elsewhere.gateways);
    const back = await cp.admin("POST", "/admin/v1/cells", {
      ...elsewhere,
      gateways: [cell.url],
      reason: "back to the address",
    });
    expect(back.status).toBe(200);
    expect(back.body.gateways).toEqual([cell.url]);
  });

  it("lists and retrieves cells; an unknown cell is a 404", async () => {
    const list = await cp.admin("GET", "/admin/v1/cells");
    expect(list.body.data.map((c: { id: string }) => c.id)).toEqual(["cell-a"]);
    const one = await cp.admin("GET", "/admin/v1/cells/cell-a");
    expect(one.body).toMatchObject({ partner_count: 0, internal_gateways: [cell.internalUrl] });
    // The health checker reads the cell's database layout from its gateways: a single-copy cell
    // has one primary, no standby, and nothing to alert about.
    const withLayout = await waitFor(
      async () => {
        const res = await cp.admin("GET", "/admin/v1/cells/cell-a");
        if (!res.body.database) throw new Error("no database layout yet");
        return res.body;
      },
      { what: "the cell's database layout", timeoutMs: 20_000 },
    );
    expect(withLayout.database).toMatchObject({
      replicated: false,
      primary: { in_recovery: false },
      standbys: [],
      sync_standby_missing: null,
      last_failover: null,
    });
    expect(withLayout.database.primary.address).toMatch(/:\d+$/);
    const alerts = await cp.admin("GET", "/admin/v1/alerts");
    expect(alerts.body.data.filter((a: { rule: string }) => a.rule === "sync_standby_missing")).toEqual([]);
    const missing = await cp.admin("GET", "/admin/v1/cells/cell-nope");
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("resource_not_found");
  });

  it("rejects bad admin input with a clear 4xx and changes nothing", async () => {
    await unchanged(async () => {
      const unknownCell = await cp.admin("POST", "/admin/v1/partners", {
        name: "Acme",
        cell_id: "cell-nope",
      });
      expect(unknownCell.status).toBe(404);
      expect(unknownCell.body.error).toMatchObject({ code: "resource_not_found", param: "cell_id" });

      const noName = await cp.admin("POST", "/admin/v1/partners", { cell_id: "cell-a" });
      expect(noName.status).toBe(400);
      expect(noName.body.error).toMatchObject({ code: "invalid_request", param: "name" });

      const extra = await cp.admin("POST", "/admin/v1/partners", { name: "Acme", plan: "gold" });
      expect(extra.status).toBe(400);
      expect(extra.body.error.param).toBe("plan");

      const badJson = await cp.admin("POST", "/admin/v1/partners", "{not json");
      expect(badJson.status).toBe(400);
      expect(badJson.body.error.code).toBe("invalid_json");

      const ghost = "ptr_0000000000doesnotexist0";
      for (const path of [`/admin/v1/partners/${ghost}/suspend`, `/admin/v1/partners/${ghost}/resume`]) {
        const res = await cp.admin("POST", path, { reason: "test" });
        expect(res.status).toBe(404);
        expect(res.body.error.code).toBe("resource_not_found");
      }
      expect((await cp.admin("GET", `/admin/v1/partners/${ghost}`)).status).toBe(404);
      expect(
        (await cp.admin("PUT", `/admin/v1/partners/${ghost}/limits`, { max_concurrency: 5 })).status,
      ).toBe(404);
      const badLimits = await cp.admin("PUT", `/admin/v1/partners/${ghost}/limits`, { max_concurrency: -1 });
      expect(badLimits.body.error.param).toBe("max_concurrency");

      const badState = await cp.admin("PUT", "/admin/v1/cells/cell-a/state", {
        state: "sleeping",
        reason: "test",
      });
      expect(badState.status).toBe(400);
      expect(badState.body.error.param).toBe("state");
      expect(
        (await cp.admin("PUT", "/admin/v1/cells/cell-nope/state", { state: "down", reason: "test" })).status,
      ).toBe(404);
      expect((await cp.admin("POST", "/admin/v1/partners", { name: "x" }, null)).status).toBe(401);
    });
  });

  it("refuses to onboard onto a draining cell (409 cell_not_accepting), and by placement when no cell accepts", async () => {
    const drained = await cp.admin("PUT", "/admin/v1/cells/cell-a/state", {
      state: "draining",
      reason: "test",
    });
    expect(drained.status).toBe(200);
    expect(drained.body.state).toBe("draining");
    await cp.waitForDelta((d) => d.cells["cell-a"]?.state === "draining");
    await unchanged(async () => {
      const named = await cp.admin("POST", "/admin/v1/partners", { name: "Acme", cell_id: "cell-a" });
      expect(named.status).toBe(409);
      expect(named.body.error).toMatchObject({ code: "cell_not_accepting", param: "cell_id" });
      const placed = await cp.admin("POST", "/admin/v1/partners", { name: "Acme" });
      expect(placed.status).toBe(409);
      expect(placed.body.error.code).toBe("cell_not_accepting");
    });
    expect(
      (await cp.admin("PUT", "/admin/v1/cells/cell-a/state", { state: "active", reason: "test" })).status,
    ).toBe(200);
  });

  it("records every admin call in the audit log: who (name, role), from where, why, what, before and after", async () => {
    const res = await cp.admin("GET", "/admin/v1/audit-log?limit=100");
    expect(res.status).toBe(200);
    type Entry = { action: string; before: unknown; after: unknown; status: number | null; id: number };
    const changes = res.body.data.filter((e: Entry) => e.before !== null || e.after !== null);
    const [reactivate, drain] = changes;
    expect(reactivate).toMatchObject({
      action: "cell.set_state",
      target: "cell-a",
      actor: { name: "test admin", role: "admin" },
      reason: "test",
      before: { state: "draining" },
      after: { state: "active" },
    });
    expect(reactivate.actor.token_id).toMatch(/^atk_/);
    expect(reactivate.request_id).toMatch(/^req_/);
    expect(reactivate.source_ip).toMatch(/127\.0\.0\.1/);
    expect(drain).toMatchObject({
      action: "cell.set_state",
      before: { state: "active" },
      after: { state: "draining" },
    });
    expect(changes.map((e: Entry) => e.action)).toContain("cell.register");
    // Reads and refusals are recorded too, with the status they got.
    const actions = res.body.data.map((e: Entry) => `${e.action} ${e.status}`);
    expect(actions).toContain("cell.list 401");
    expect(actions).toContain("cell.register 422");
    const next = await cp.admin("GET", `/admin/v1/audit-log?limit=10&starting_after=${drain.id}`);
    expect(next.status).toBe(200);
  });

  it("gives routers the whole table with its version, behind the routing-table read credential", async () => {
    const version = (await registrySnapshot(cp.postgresUrl)).routingVersion;
    const denied = await fetch(`${cp.url}/internal/v1/routing-table`, {
      headers: { authorization: "Bearer nope" },
    });
    expect(denied.status).toBe(401);
    const res = await fetch(`${cp.url}/internal/v1/routing-table`, {
      headers: { authorization: `Bearer ${TEST_ROUTER_TABLE_TOKEN}` },
    });
    const { signature, ...table } = await res.json();
    expect(table).toEqual({
      version,
      cells: { "cell-a": { state: "active", gateways: [cell.url] } },
      partners: {},
    });
    // Signed by the control plane's routing key: what routers verify before using it.
    const publicKey = parseRoutingPublicKey(cp.routingPublicKey);
    expect(routingSignatureValid("table", { ...table, signature }, publicKey)).toBe(true);
    expect(routingSignatureValid("table", { ...table, version: version + 1, signature }, publicKey)).toBe(
      false,
    );
    expect((await cp.admin("GET", "/admin/v1/routing-table")).body).toEqual(table);
  });

  it("keeps the registry and the routing version across a control plane restart", async () => {
    const before = await registrySnapshot(cp.postgresUrl);
    await cp.restart();
    expect(await registrySnapshot(cp.postgresUrl)).toEqual(before);
    expect((await cp.admin("GET", "/admin/v1/routing-table")).body.version).toBe(before.routingVersion);
    const down = await cp.admin("PUT", "/admin/v1/cells/cell-a/state", { state: "down", reason: "test" });
    expect(down.status).toBe(200);
    const delta = await cp.waitForDelta((d) => d.cells["cell-a"]?.state === "down");
    expect(delta.version).toBe(before.routingVersion + 1);
    await cp.admin("PUT", "/admin/v1/cells/cell-a/state", { state: "active", reason: "test" });
  });
});
