// `cells restore`: cell-a's machines are gone and only its pgBackRest stanza is left. A new cell
// is built from it (restoreCell, the CLI's platform half), checked against the figures recorded
// at the backup, registered, and cell-a's partners fail over to it in one routing version.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateMasterKeyBase64 } from "../../cell/vault/envelope.ts";
import { readBackupStatus } from "../../platform/backup-status.ts";
import { recordFigures, takeFigures } from "../../platform/partner-figures.ts";
import { pgbackrest, takeBackup } from "../../platform/pgbackrest.ts";
import { type RestoredCell, restoreCell } from "../../platform/restore-cell.ts";
import { card, TEST_CELL_ADMIN_TOKEN, TEST_METRICS_TOKEN, TEST_MOVE_KEYS } from "../harness.ts";
import { eventually, type Platform, startPlatform } from "../platform-harness.ts";

let backupRoot: string;
let platform: Platform;
const restored: RestoredCell[] = [];
const credentials = {
  cellAdminToken: TEST_CELL_ADMIN_TOKEN,
  metricsToken: TEST_METRICS_TOKEN,
  moveVerifyKey: TEST_MOVE_KEYS.verifyKey,
};

beforeAll(async () => {
  backupRoot = await mkdtemp(join(tmpdir(), "cellpay-restore-backups-"));
  platform = await startPlatform({ cells: [{ id: "cell-a" }, { id: "cell-b" }], cellInfra: { backupRoot } });
}, 180_000);
afterAll(async () => {
  for (const r of restored) await r.stop();
  await platform?.stop();
  if (backupRoot) await rm(backupRoot, { recursive: true, force: true });
});

const options = (newCellId: string, masterKeyFile: string) => ({
  sourceCellId: "cell-a",
  newCellId,
  to: "latest" as const,
  backupRoot,
  dataDir: join(platform.dir, newCellId),
  keyring: { masterKeyFile },
  credentials,
  drill: false,
  env: { RATE_LIMIT_RATE: "10000", RATE_LIMIT_BURST: "10000", LOG_LEVEL: "warn" },
});

describe("cells restore", () => {
  it("restores cell-a as a new cell with every payment and matching figures, refuses a wrong master key, and fails cell-a's partners over in one audited routing version", async () => {
    const cellA = platform.cell("cell-a");
    const partner = await platform.onboard("Restored partner", "cell-a");
    const call = platform.partnerClient(partner.api_key);
    const pay = async (amount: number) => {
      const res = await call("POST", "/v1/payments", { amount, currency: "eur", payment_method: card() });
      expect(res.status).toBe(201);
      return String(res.body.id);
    };
    const ids = [await pay(1100), await pay(1200), await pay(1300)];
    const stanza = cellA.infra.backupStanza!;
    await takeBackup(stanza, "full");
    // What the scheduler records after a backup (lag 0: nothing is in flight here).
    await recordFigures(stanza.stanza, stanza.repoPath, await takeFigures(cellA.infra.postgresUrl, 0));
    ids.push(await pay(1400)); // only the WAL archive holds this one
    await pgbackrest(stanza, "check");

    // The machines are gone: routers answer 503, the database and its folder are lost.
    expect(
      (
        await platform.admin("PUT", "/admin/v1/cells/cell-a/state", {
          state: "down",
          reason: "INC-1: disk lost",
        })
      ).status,
    ).toBe(200);
    await platform.cells.find((c) => c.id === "cell-a")!.stopWorkers();
    await cellA.infra.processes[0]!.stop("SIGKILL", 5_000);
    await rm(join(cellA.infra.dataDir, "postgres"), { recursive: true, force: true });

    const wrongKey = join(platform.dir, "wrong.key");
    await writeFile(wrongKey, generateMasterKeyBase64(), { mode: 0o600 });
    await expect(restoreCell(options("cell-a-wrong", wrongKey))).rejects.toThrow(
      /Refusing to start: the master key check failed for cell 'cell-a'/,
    );

    const keyFile = join(platform.dir, "master.key");
    await writeFile(keyFile, cellA.masterKey, { mode: 0o600 });
    const cell = await restoreCell(options("cell-a2", keyFile));
    restored.push(cell);
    expect(cell.figures).toMatchObject({ checked: true, match: true, partners_checked: 1 });
    const sql = postgres(cell.postgresUrl, { max: 1, onnotice: () => {} });
    expect((await sql<{ id: string }[]>`select id from payments order by id`).map((r) => r.id)).toEqual(
      [...ids].sort(),
    );
    await sql.end();
    expect((await readBackupStatus(stanza.repoPath))?.last_restore).toMatchObject({
      as_cell: "cell-a2",
      target: "latest",
      drill: false,
      figures_match: true,
    });

    // Bad input: 4xx in the one error shape, never a stack trace.
    const unknown = await platform.admin("POST", "/admin/v1/cells/cell-a/failover", {
      to: "cell-zz",
      reason: "INC-1",
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ code: "resource_not_found", param: "to" });
    const bad = await platform.admin("POST", "/admin/v1/cells/cell-a/failover", {
      to: "Not A Cell!",
      reason: "INC-1",
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.type).toBe("invalid_request_error");
    const noReason = await platform.admin("POST", "/admin/v1/cells/cell-a/failover", { to: "cell-b" });
    expect(noReason.status).toBe(400);

    const reg = await platform.admin("POST", "/admin/v1/cells", {
      id: "cell-a2",
      weight: 1,
      gateways: cell.gateways,
      internal_gateways: cell.internalGateways,
    });
    expect(reg.status).toBe(201);
    const before = await platform.admin<{ version: number }>("GET", "/admin/v1/routing-table");
    const flip = await platform.admin<{ partners: string[]; routing_version: number }>(
      "POST",
      "/admin/v1/cells/cell-a/failover",
      { to: "cell-a2", reason: "INC-1: cell-a restored as cell-a2" },
    );
    expect(flip.status).toBe(200);
    expect(flip.body.partners).toEqual([partner.id]);
    expect(flip.body.routing_version).toBe(before.body.version + 1);

    // Through the router, the partner's payments (and new ones) are served by the restored cell.
    await eventually(async () => (await call("GET", `/v1/payments/${ids[3]}`)).status === 200, 20_000);
    await pay(1500);
    const audit = await platform.admin<{ data: { action: string; target: string; reason: string }[] }>(
      "GET",
      "/admin/v1/audit-log?limit=20",
    );
    expect(audit.body.data.find((a) => a.action === "cell.failover")).toMatchObject({
      target: "cell-a",
      reason: "INC-1: cell-a restored as cell-a2",
    });
  }, 600_000);
});
