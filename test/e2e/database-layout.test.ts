// The cell's database role layout on its internal API (GET /internal/v1/database), read from a
// real Patroni cluster: a primary with one streaming synchronous standby; once the standby's
// machine dies, the primary alone and no standby, which the sync-standby alert rule flags.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateCellDatabase } from "../../cell/db/migrate.ts";
import { generateMasterKeyBase64 } from "../../cell/vault/envelope.ts";
import { type CellInfra, startTestCellInfra } from "../../platform/cell-infra.ts";
import { freePort } from "../../platform/free-port.ts";
import { startGatewayProcess } from "../../platform/gateway-process.ts";
import type { ManagedProcess } from "../../platform/managed-process.ts";
import type { PatroniCluster } from "../../platform/patroni-cluster.ts";
import { waitFor } from "../../platform/wait-for.ts";
import { type CellClient, createCellClient } from "../../shared/cell-api/cell-client.ts";
import { generateMoveKeyPair } from "../../shared/cell-api/move-capability.ts";
import { missingSyncStandby } from "../../shared/cell-api/sync-standby.ts";

let infra: CellInfra;
let cluster: PatroniCluster;
let gateway: ManagedProcess;
let cell: CellClient;
const cellAdminToken = `adm_layout_${Date.now()}`;

beforeAll(async () => {
  infra = await startTestCellInfra("cell-layout", { postgresReplicas: 2 });
  cluster = infra.replicatedPostgres!.cluster;
  await migrateCellDatabase(infra.postgresUrl);
  const masterKeyFile = join(infra.dataDir, "master.key");
  await writeFile(masterKeyFile, generateMasterKeyBase64(), { mode: 0o600 });
  const internalPort = await freePort();
  gateway = await startGatewayProcess({
    cellId: "cell-layout",
    index: 0,
    port: await freePort(),
    internalPort,
    databaseUrl: infra.postgresUrl,
    masterKeyFile,
    credentials: {
      cellAdminToken,
      metricsToken: `met_layout_${Date.now()}`,
      moveVerifyKey: generateMoveKeyPair().verifyKey,
    },
    logFile: join(infra.dataDir, "logs", "gateway.log"),
    env: { LOG_LEVEL: "warn" },
  });
  cell = createCellClient({ internalUrls: [`http://127.0.0.1:${internalPort}`], token: cellAdminToken });
}, 180_000);
afterAll(async () => {
  await gateway?.stop();
  await infra?.stop();
});

describe("GET /internal/v1/database on a replicated cell", () => {
  it("shows the primary and its synchronous standby, then the primary alone once the standby dies", async () => {
    // Patroni names the synchronous standby shortly after the cluster starts.
    const layout = await waitFor(
      async () => {
        const l = await cell.databaseLayout();
        if (!l.standbys.some((s) => s.sync_state === "sync")) throw new Error(JSON.stringify(l));
        return l;
      },
      { what: "a synchronous standby in the layout", timeoutMs: 120_000, intervalMs: 250 },
    );
    const leader = (await cluster.leaderIndex())!;
    const standby = 1 - leader;
    expect(layout.replicated).toBe(true);
    expect(layout.primary).toMatchObject({
      address: `127.0.0.1:${cluster.postgresPorts[leader]}`,
      in_recovery: false,
    });
    expect(layout.primary.timeline).toBeGreaterThanOrEqual(1);
    expect(layout.standbys).toHaveLength(1);
    expect(layout.standbys[0]).toMatchObject({
      name: `cell-layout-pg-${standby}`,
      state: "streaming",
      sync_state: "sync",
    });
    expect(layout.standbys[0]!.replay_lag_bytes).toBeGreaterThanOrEqual(0);
    expect(missingSyncStandby(layout)).toBeUndefined();

    // The standby's machine dies: its Patroni and its postmaster at once.
    const standbyPostmaster = (await cluster.postmasterPid(standby))!;
    expect(cluster.processes[standby]!.signal("SIGKILL")).toBe(true);
    process.kill(standbyPostmaster, "SIGKILL");
    await cluster.processes[standby]!.exited;

    const alone = await waitFor(
      async () => {
        const l = await cell.databaseLayout();
        if (l.standbys.length > 0) throw new Error(JSON.stringify(l.standbys));
        return l;
      },
      { what: "the dead standby to leave the layout", timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(alone.primary.address).toBe(layout.primary.address);
    expect(alone.replicated).toBe(true);
    expect(missingSyncStandby(alone)).toMatch(/no standby is connected/);
  }, 240_000);
});
