// The cells the HA scenarios (failover, ha-cost) run against: real Patroni/etcd Postgres (or a
// single Postgres) and one gateway process per cell, started with the launcher's code. These
// scenarios measure the database layer itself, so they talk to the gateways directly (no router).
import { readdir, readFile, readlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import postgres from "postgres";
import { createDb } from "../../cell/db/client.ts";
import { migrateCellDatabase } from "../../cell/db/migrate.ts";
import { provisionPartner } from "../../cell/partners/provision.ts";
import { generateMasterKeyBase64 } from "../../cell/vault/envelope.ts";
import { type CellInfra, startTestCellInfra } from "../../platform/cell-infra.ts";
import { freePort } from "../../platform/free-port.ts";
import { startGatewayProcess } from "../../platform/gateway-process.ts";
import type { ManagedProcess } from "../../platform/managed-process.ts";

export interface BenchCell {
  infra: CellInfra;
  gateway: ManagedProcess;
  url: string;
  apiKey: string;
  sql: postgres.Sql;
  stop(): Promise<void>;
}

export async function startBenchCell(cellId: string, replicas: number): Promise<BenchCell> {
  const infra = await startTestCellInfra(cellId, { postgresReplicas: replicas });
  await migrateCellDatabase(infra.postgresUrl);
  const masterKeyFile = join(infra.dataDir, "master.key");
  await writeFile(masterKeyFile, generateMasterKeyBase64(), { mode: 0o600 });
  const admin = createDb(infra.postgresUrl, { max: 1 });
  const { apiKey } = await provisionPartner(admin.db, { name: `Bench ${cellId}` });
  await admin.end();
  const port = await freePort();
  const gateway = await startGatewayProcess({
    cellId,
    index: 0,
    port,
    databaseUrl: infra.postgresUrl,
    masterKeyFile,
    logFile: join(infra.dataDir, "logs", "gateway.log"),
    // The partner's rate limit would cap the closed loop long before Postgres does.
    env: {
      IDEMPOTENCY_LOCK_MS: "1000",
      LOG_LEVEL: "warn",
      RATE_LIMIT_RATE: "100000",
      RATE_LIMIT_BURST: "100000",
      PARTNER_MAX_CONCURRENCY: "1024",
    },
  });
  const sql = postgres(infra.postgresUrl, { max: 2, onnotice: () => {} });
  let stopping: Promise<void> | undefined;
  return {
    infra,
    gateway,
    url: `http://127.0.0.1:${port}`,
    apiKey,
    sql,
    stop() {
      stopping ??= (async () => {
        await gateway.stop();
        await sql.end();
        await infra.stop();
      })();
      return stopping;
    },
  };
}

export interface Sent {
  key: string;
  at: number;
  ms: number;
  status: number;
  id?: string;
}

export async function pay(cell: BenchCell, key: string): Promise<Sent> {
  const at = performance.now();
  let status = 0;
  let id: string | undefined;
  try {
    const res = await fetch(`${cell.url}/v1/payments`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${cell.apiKey}`,
        "content-type": "application/json",
        "idempotency-key": key,
      },
      body: JSON.stringify({
        amount: 1999,
        currency: "EUR",
        reference: key,
        payment_method: {
          type: "card",
          card: { number: "4242424242424242", exp_month: 12, exp_year: 2034, cvc: "123" },
        },
      }),
    });
    status = res.status;
    const body = (await res.json()) as { id?: string };
    if (status === 201) id = body.id;
  } catch {
    status = 0; // no answer at all
  }
  return { key, at, ms: performance.now() - at, status, ...(id !== undefined ? { id } : {}) };
}

/**
 * CPU seconds used so far by the cell's database side and its gateway: every process working in
 * the cell's folder (each Postgres backend's cwd is its data dir; Patroni runs in its node's),
 * plus etcd and the gateway. Backends live as long as the pools' connections, i.e. the whole run.
 */
export async function cellCpuSeconds(cell: BenchCell): Promise<number> {
  const extra = new Set([cell.gateway.pid, cell.infra.replicatedPostgres?.etcd.pid]);
  let ticks = 0;
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cwd = await readlink(`/proc/${entry}/cwd`);
      if (!cwd.startsWith(cell.infra.dataDir) && !extra.has(Number(entry))) continue;
      const stat = await readFile(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
    } catch {
      // exited meanwhile
    }
  }
  return ticks / 100; // USER_HZ
}

export const percentile = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};
