// `npm run bench -- --scenario restore [--rows 1000000]`: a cell's disk is lost and only the
// pgBackRest repository survives. Runs its own cell (the launcher's Postgres with WAL archiving,
// a gateway process), not the whole platform:
//   1. bulk-loads --rows payments with SQL (not the API), takes a verified full backup;
//   2. writes payments through the API for a while, then SIGKILLs Postgres and deletes its folder;
//   3. RTO: restore to "latest" from the archive, start Postgres and a gateway, first payment read;
//      RPO: acknowledged payments missing, and the time between the newest restored one and the loss;
//   4. RTO of a point-in-time restore (a moment in the middle of step 2): exactly the payments
//      acknowledged before it are there;
//   5. the per-partner counts and sums of the bulk rows match the source's figures.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { createDb } from "../../cell/db/client.ts";
import { migrateCellDatabase } from "../../cell/db/migrate.ts";
import { provisionPartner } from "../../cell/partners/provision.ts";
import { generateMasterKeyBase64 } from "../../cell/vault/envelope.ts";
import { findBinaries } from "../../platform/binaries.ts";
import { startTestCellInfra } from "../../platform/cell-infra.ts";
import { freePort } from "../../platform/free-port.ts";
import { startGatewayProcess } from "../../platform/gateway-process.ts";
import type { ManagedProcess } from "../../platform/managed-process.ts";
import {
  ARCHIVE_TIMEOUT_S,
  type RestoreTarget,
  restoreInto,
  stanzaInfo,
  takeBackup,
  waitUntilPromoted,
} from "../../platform/pgbackrest.ts";
import { startPostgres } from "../../platform/postgres-server.ts";
import { repoRoot } from "../lib/platform.ts";

const PARTNERS = 10;
const card = {
  type: "card",
  card: { number: "4242424242424242", exp_month: 12, exp_year: 2034, cvc: "123" },
};

interface Figures {
  [partnerId: string]: { count: number; sum: string };
}

async function figures(url: string): Promise<Figures> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<{ partner_id: string; n: string; s: string }[]>`
      select partner_id, count(*) as n, sum(amount)::text as s from payments group by partner_id`;
    return Object.fromEntries(rows.map((r) => [r.partner_id, { count: Number(r.n), sum: r.s }]));
  } finally {
    await sql.end();
  }
}

export async function runRestoreBench(rows: number): Promise<void> {
  const startedAt = new Date();
  const backupRoot = await mkdtemp(join(tmpdir(), "cellpay-bench-backups-"));
  const infra = await startTestCellInfra("cell-restore", { backupRoot });
  const stanza = infra.backupStanza!;
  const processes: ManagedProcess[] = [];
  const bin = (await findBinaries()).pgBin;
  try {
    await migrateCellDatabase(infra.postgresUrl);
    const masterKeyFile = join(infra.dataDir, "master.key");
    await writeFile(masterKeyFile, generateMasterKeyBase64(), { mode: 0o600 });
    const admin = createDb(infra.postgresUrl, { max: 1 });
    const partners: { partnerId: string; apiKey: string }[] = [];
    for (let i = 0; i < PARTNERS; i++)
      partners.push(await provisionPartner(admin.db, { name: `Restore ${i}` }));
    await admin.end();

    console.log(`loading ${rows} payments with SQL…`);
    const sql = postgres(infra.postgresUrl, { max: 1, onnotice: () => {} });
    let t = performance.now();
    await sql`
      insert into payments (id, partner_id, status, amount, currency, capture_method, amount_captured,
        card_brand, card_bin, card_last4, card_exp_month, card_exp_year, card_fingerprint, created_at, updated_at)
      select 'pay_bulk' || lpad(g::text, 12, '0'), (string_to_array(${partners.map((p) => p.partnerId).join(",")}, ','))[1 + g % ${PARTNERS}],
        'succeeded', 100 + g % 9900, 'EUR', 'automatic', 100 + g % 9900,
        'visa', '424242', '4242', 12, 2034, 'fp_bench', now() - interval '1 day', now() - interval '1 day'
      from generate_series(1, ${rows}) g`;
    const loadS = (performance.now() - t) / 1000;
    const size = (
      await sql<{ size: string }[]>`select pg_size_pretty(pg_database_size('cellpay')) as size`
    )[0]?.size;
    await sql.end();
    const sourceFigures = await figures(infra.postgresUrl);
    console.log(`  loaded in ${loadS.toFixed(1)} s (${size}); full backup…`);
    t = performance.now();
    const full = await takeBackup(stanza, "full");
    const backupS = (performance.now() - t) / 1000;
    console.log(`  full backup ${full.label} taken and verified in ${backupS.toFixed(1)} s`);

    // Payments through the API after the backup: only the WAL archive holds them.
    const port = await freePort();
    processes.push(
      await startGatewayProcess({
        cellId: "cell-restore",
        index: 0,
        port,
        databaseUrl: infra.postgresUrl,
        masterKeyFile,
        logFile: join(infra.dataDir, "logs", "gateway.log"),
        env: { LOG_LEVEL: "warn", RATE_LIMIT_RATE: "100000", RATE_LIMIT_BURST: "100000" },
        readyTimeoutMs: 120_000,
      }),
    );
    const acked: { id: string; at: number }[] = [];
    const writeFor = async (ms: number) => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        const p = partners[acked.length % PARTNERS]!;
        const res = await fetch(`http://127.0.0.1:${port}/v1/payments`, {
          method: "POST",
          headers: { authorization: `Bearer ${p.apiKey}`, "content-type": "application/json" },
          body: JSON.stringify({ amount: 500, currency: "eur", payment_method: card }),
        });
        if (res.status === 201)
          acked.push({ id: String(((await res.json()) as { id: string }).id), at: Date.now() });
        else await res.body?.cancel();
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const writeSeconds = 2 * ARCHIVE_TIMEOUT_S + 10;
    console.log(`writing payments through the API for ${writeSeconds} s, then the disk is lost…`);
    await writeFor((writeSeconds / 2) * 1000);
    const pointInTime = new Date();
    await new Promise((r) => setTimeout(r, 200));
    await writeFor((writeSeconds / 2) * 1000);
    await processes.pop()!.stop("SIGKILL", 5_000);
    const lostAt = Date.now();
    await infra.processes[0]!.stop("SIGKILL", 5_000);
    await rm(join(infra.dataDir, "postgres"), { recursive: true, force: true });

    const restoreAndServe = async (to: RestoreTarget, name: string) => {
      const began = performance.now();
      const dataDir = join(infra.dataDir, `restored-${name}`);
      await restoreInto(stanza, dataDir, to);
      const restoredAt = performance.now();
      const pg = await startPostgres({
        bin,
        dataDir,
        port: await freePort(),
        logFile: join(infra.dataDir, "logs", `restored-${name}.log`),
        name: `restored-${name}`,
      });
      await waitUntilPromoted(pg.url);
      const recoveredAt = performance.now();
      await migrateCellDatabase(pg.url);
      const gwPort = await freePort();
      const gw = await startGatewayProcess({
        cellId: "cell-restore",
        index: 1,
        port: gwPort,
        databaseUrl: pg.url,
        masterKeyFile,
        logFile: join(infra.dataDir, "logs", `gateway-${name}.log`),
        env: { LOG_LEVEL: "warn" },
        readyTimeoutMs: 120_000,
      });
      const first = acked[0]!;
      const res = await fetch(`http://127.0.0.1:${gwPort}/v1/payments/${first.id}`, {
        headers: { authorization: `Bearer ${partners[0]!.apiKey}` },
      });
      if (res.status !== 200) throw new Error(`restored cell answered ${res.status} for ${first.id}`);
      const servedAt = performance.now();
      const db = postgres(pg.url, { max: 1, onnotice: () => {} });
      const present = new Set(
        (await db<{ id: string }[]>`select id from payments where id not like 'pay_bulk%'`).map((r) => r.id),
      );
      await db.end();
      const restoredFigures = await figures(pg.url);
      const bulkMatch = Object.entries(sourceFigures).every(([partner, f]) => {
        const r = restoredFigures[partner];
        return r !== undefined && r.count >= f.count && BigInt(r.sum) >= BigInt(f.sum);
      });
      await gw.stop();
      await pg.stop();
      await rm(dataDir, { recursive: true, force: true });
      return {
        rto_s: round((servedAt - began) / 1000),
        pgbackrest_restore_s: round((restoredAt - began) / 1000),
        wal_replay_and_start_s: round((recoveredAt - restoredAt) / 1000),
        gateway_start_and_first_read_s: round((servedAt - recoveredAt) / 1000),
        present,
        bulk_figures_match: bulkMatch,
      };
    };

    console.log("restoring to latest (archive only)…");
    const latest = await restoreAndServe("latest", "latest");
    const lost = acked.filter((a) => !latest.present.has(a.id));
    const newestRestored = Math.max(...acked.filter((a) => latest.present.has(a.id)).map((a) => a.at));
    console.log("restoring to a point in time…");
    const pitr = await restoreAndServe(pointInTime, "pitr");
    const expected = acked.filter((a) => a.at < pointInTime.getTime());
    const pitrExact =
      expected.every((a) => pitr.present.has(a.id)) &&
      acked.filter((a) => a.at > pointInTime.getTime() + 200).every((a) => !pitr.present.has(a.id));

    const info = await stanzaInfo(stanza);
    const report = {
      scenario: "restore",
      started_at: startedAt.toISOString(),
      machine: "this machine (2 cores, shared with other work)",
      rows,
      database_size: size,
      bulk_load_s: round(loadS),
      full_backup: { label: full.label, seconds: round(backupS), size_bytes: info.backups.at(-1)?.sizeBytes },
      archive_timeout_s: ARCHIVE_TIMEOUT_S,
      api_payments_after_backup: acked.length,
      restore_latest: {
        rto_s: latest.rto_s,
        pgbackrest_restore_s: latest.pgbackrest_restore_s,
        wal_replay_and_start_s: latest.wal_replay_and_start_s,
        gateway_start_and_first_read_s: latest.gateway_start_and_first_read_s,
        acknowledged_payments_lost: lost.length,
        rpo_s: round((lostAt - newestRestored) / 1000),
        bulk_figures_match: latest.bulk_figures_match,
      },
      restore_point_in_time: {
        target: pointInTime.toISOString(),
        rto_s: pitr.rto_s,
        pgbackrest_restore_s: pitr.pgbackrest_restore_s,
        wal_replay_and_start_s: pitr.wal_replay_and_start_s,
        gateway_start_and_first_read_s: pitr.gateway_start_and_first_read_s,
        exactly_the_payments_before_target: pitrExact,
        bulk_figures_match: pitr.bulk_figures_match,
      },
    };
    const file = join(
      repoRoot,
      "bench",
      "reports",
      `${startedAt.toISOString().replace(/:/g, "-").slice(0, 19)}Z-restore.json`,
    );
    await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
    console.log(JSON.stringify(report, null, 2));
    console.log(`report: ${file}`);
  } finally {
    for (const p of processes) await p.stop();
    await infra.stop();
    await rm(backupRoot, { recursive: true, force: true });
  }
}

const round = (n: number) => Math.round(n * 10) / 10;
