// A cell's Postgres archived and backed up with pgBackRest (the launcher's code), then its data
// folder destroyed: restored to "latest" every acknowledged payment is back, and restored to a
// point in time between two payments exactly the ones committed before that point are.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findBinaries } from "../../platform/binaries.ts";
import { freePort } from "../../platform/free-port.ts";
import {
  type BackupStanza,
  pgbackrest,
  restoreInto,
  stanzaInfo,
  takeBackup,
  waitUntilPromoted,
} from "../../platform/pgbackrest.ts";
import { type PostgresServer, startPostgres } from "../../platform/postgres-server.ts";
import { card, client, startTestCell, type TestCell } from "../harness.ts";

let backupRoot: string;
let cell: TestCell;
let stanza: BackupStanza;
const restored: PostgresServer[] = [];

beforeAll(async () => {
  // The repository lives outside the cell's folder: destroying the cell must not touch it.
  backupRoot = await mkdtemp(join(tmpdir(), "cellpay-backups-"));
  cell = await startTestCell({}, { backupRoot });
  stanza = cell.infra.backupStanza!;
});
afterAll(async () => {
  for (const pg of restored) await pg.stop();
  await cell?.stop();
  if (backupRoot) await rm(backupRoot, { recursive: true, force: true });
});

async function paymentIds(url: string): Promise<string[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<{ id: string }[]>`select id from payments order by id`;
    return rows.map((r) => r.id);
  } finally {
    await sql.end();
  }
}

/** Restores the stanza into a fresh folder and starts it on a free port (what `cells restore` does). */
async function restoreAndStart(to: "latest" | Date, name: string): Promise<PostgresServer> {
  const dataDir = join(cell.infra.dataDir, `restored-${name}`);
  await restoreInto(stanza, dataDir, to);
  const pg = await startPostgres({
    bin: (await findBinaries()).pgBin,
    dataDir,
    port: await freePort(),
    logFile: join(cell.infra.dataDir, "logs", `restored-${name}.log`),
    name: `restored-${name}`,
  });
  restored.push(pg);
  await waitUntilPromoted(pg.url);
  return pg;
}

describe("backup and point-in-time restore", () => {
  it("restores exactly the payments committed up to latest, and up to a point between two payments", async () => {
    const { apiKey } = await cell.partner("Backed up");
    const call = client(cell.url, apiKey);
    const pay = async (amount: number) => {
      const res = await call("POST", "/v1/payments", { amount, currency: "eur", payment_method: card() });
      expect(res.status).toBe(201);
      return String(res.body.id);
    };
    const beforeBackup = [await pay(101), await pay(102)];
    const full = await takeBackup(stanza, "full");
    expect(full).toMatchObject({ type: "full", verified: true });

    const afterBackup = await pay(103);
    await new Promise((r) => setTimeout(r, 1_100));
    const pointInTime = new Date();
    await new Promise((r) => setTimeout(r, 1_100));
    const afterPoint = await pay(104);
    // `check` switches WAL and waits until the segment is in the archive: the archive holds p104.
    await pgbackrest(stanza, "check");
    expect((await stanzaInfo(stanza)).backups.map((b) => b.label)).toEqual([full.label]);

    // The disk is lost: the cell's Postgres stops and its data folder is gone.
    await cell.infra.processes[0]!.stop("SIGKILL", 5_000);
    await rm(join(cell.infra.dataDir, "postgres"), { recursive: true, force: true });

    const latest = await restoreAndStart("latest", "latest");
    expect(await paymentIds(latest.url)).toEqual([...beforeBackup, afterBackup, afterPoint].sort());

    const between = await restoreAndStart(pointInTime, "pitr");
    expect(await paymentIds(between.url)).toEqual([...beforeBackup, afterBackup].sort());
  }, 300_000);
});
