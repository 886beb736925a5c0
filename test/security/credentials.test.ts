// One credential per audience (PCI DSS 7.2, 8.6), on a real platform (a cell, the control plane,
// two routers): the routers' routing-table credential opens neither a cell's internal API nor any
// /metrics; the metrics-scrape credential reads metrics and nothing else; the control plane's
// cell-admin credential opens the cells' internal API and neither the table nor the metrics. The
// launcher generates each into .data/ (0600), all different.
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureLocalSecrets } from "../../platform/local-secrets.ts";
import { createLogger } from "../../shared/logger.ts";
import { startMetricsServer } from "../../shared/telemetry/metrics-server.ts";
import { MetricsRegistry } from "../../shared/telemetry/registry.ts";
import { TEST_CELL_ADMIN_TOKEN, TEST_METRICS_TOKEN, TEST_ROUTER_TABLE_TOKEN } from "../harness.ts";
import { type Platform, startPlatform } from "../platform-harness.ts";

let platform: Platform;

beforeAll(async () => {
  platform = await startPlatform({ cells: [{ id: "cell-a" }] });
});
afterAll(() => platform?.stop());

const credentials = {
  "routing-table read": TEST_ROUTER_TABLE_TOKEN,
  "metrics scrape": TEST_METRICS_TOKEN,
  "cell admin": TEST_CELL_ADMIN_TOKEN,
} as const;
type Credential = keyof typeof credentials;

async function get(url: string, credential: Credential | undefined) {
  const res = await fetch(url, {
    headers: credential ? { authorization: `Bearer ${credentials[credential]}` } : {},
  });
  const text = await res.text();
  return { status: res.status, text };
}

/** Each guarded endpoint and the one credential it accepts. */
function endpoints(): { name: string; url: string; accepts: Credential }[] {
  const cell = platform.cell("cell-a");
  const cp = platform.controlPlane!.url;
  return [
    {
      name: "control plane routing table",
      url: `${cp}/internal/v1/routing-table`,
      accepts: "routing-table read",
    },
    { name: "control plane /metrics", url: `${cp}/metrics`, accepts: "metrics scrape" },
    { name: "router /metrics", url: `${platform.routers[0]!.url}/metrics`, accepts: "metrics scrape" },
    { name: "gateway /metrics", url: `${cell.internalUrl}/metrics`, accepts: "metrics scrape" },
    {
      name: "gateway /metrics/partners",
      url: `${cell.internalUrl}/metrics/partners`,
      accepts: "metrics scrape",
    },
    {
      name: "cell internal API health",
      url: `${cell.internalUrl}/internal/v1/health`,
      accepts: "cell admin",
    },
    { name: "cell internal API xid", url: `${cell.internalUrl}/internal/v1/xid`, accepts: "cell admin" },
    {
      name: "cell internal API partner keys",
      url: `${cell.internalUrl}/internal/v1/partners/ptr_000000000000000000000000/keys`,
      accepts: "cell admin",
    },
  ];
}

describe("credentials per audience", () => {
  it("each endpoint answers its own audience's credential", async () => {
    for (const e of endpoints()) {
      const res = await get(e.url, e.accepts);
      expect(res.status, e.name).toBe(200);
    }
  });

  it("every other credential, and none, is refused with 401", async () => {
    for (const e of endpoints()) {
      for (const credential of [undefined, ...(Object.keys(credentials) as Credential[])]) {
        if (credential === e.accepts) continue;
        const res = await get(e.url, credential);
        expect(res.status, `${e.name} with ${credential ?? "no credential"}`).toBe(401);
        expect(JSON.parse(res.text).error, e.name).toMatchObject({
          type: "authentication_error",
          code: "internal_token_required",
        });
      }
    }
  });

  it("the router credential cannot write through the cell's internal API either", async () => {
    const res = await fetch(`${platform.cell("cell-a").internalUrl}/internal/v1/partners`, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_ROUTER_TABLE_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ id: "ptr_000000000000000000000001", name: "Intruder", first_key_mode: "live" }),
    });
    expect(res.status).toBe(401);
    expect((await platform.admin("GET", "/admin/v1/partners")).status).toBe(200);
  });

  it("the routers, holding only their credential, still fetch the table and route partners", async () => {
    const partner = await platform.onboard("Routed partner");
    const paid = await platform.partnerClient(partner.api_key, 1)("GET", "/v1/payments");
    expect(paid.status).toBe(200);
  });
});

describe("workers' metrics servers (relay, processors)", () => {
  it("serve /metrics to the scrape credential only", async () => {
    const registry = new MetricsRegistry({ service: "relay" });
    registry.gauge("cellpay_test_gauge", "A gauge.").collect = (g) => g.set([], 1);
    const server = await startMetricsServer(registry, {
      port: 0,
      log: createLogger({ service: "test", level: "silent" }),
      token: TEST_METRICS_TOKEN,
    });
    try {
      for (const credential of [undefined, "routing-table read", "cell admin"] as const) {
        expect((await get(`${server.url}/metrics`, credential)).status, credential).toBe(401);
      }
      const scraped = await get(`${server.url}/metrics`, "metrics scrape");
      expect(scraped.status).toBe(200);
      expect(scraped.text).toMatch(/^cellpay_test_gauge(\{[^}]*\})? 1$/m);
    } finally {
      await server.close();
    }
  });
});

describe("the launcher's secrets", () => {
  it("generates one credential per audience into .data/, mode 0600, all different", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cellpay-secrets-"));
    const saved = { ...process.env };
    for (const name of [
      "CELLPAY_MASTER_KEY_FILE",
      "CELLPAY_ADMIN_TOKEN",
      "CELLPAY_CELL_ADMIN_TOKEN",
      "CELLPAY_ROUTER_TABLE_TOKEN",
      "CELLPAY_METRICS_TOKEN",
      "CELLPAY_MOVE_SIGNING_KEY",
    ])
      delete process.env[name];
    try {
      const secrets = await ensureLocalSecrets(dir);
      const values = [secrets.cellAdminToken, secrets.routerTableToken, secrets.metricsToken];
      expect(new Set(values).size).toBe(3);
      expect(secrets.moveVerifyKey).not.toBe(secrets.moveSigningKey);
      for (const file of ["cell-admin-token", "router-table-token", "metrics-token", "move-signing-key"]) {
        expect(((await stat(join(dir, file))).mode & 0o777).toString(8), file).toBe("600");
      }
      // A second start reads the same ones.
      expect(await ensureLocalSecrets(dir)).toEqual(secrets);
    } finally {
      process.env = saved;
      await rm(dir, { recursive: true, force: true });
    }
  });
});
