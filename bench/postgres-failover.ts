// A cell's Postgres failover and the cost of its synchronous standby, on this machine:
// `npx tsx bench/postgres-failover.ts [throughput-seconds] [failover-rate/s]`.
//   1. cost of HA: the same closed-loop payment load (16 clients) against a cell with a single
//      Postgres and against a cell with a Patroni primary + synchronous standby, in the same run;
//   2. failover: open-loop payments at a fixed rate against the replicated cell, SIGKILL of the
//      primary's postmaster, then: the window in which payments were refused (first to last
//      non-2xx), the slowest answer, acknowledged payments lost, payments charged twice.
// Real processes throughout (the launcher's Postgres/Patroni/etcd, a gateway process per cell).
import { readdir, readFile, readlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import postgres from "postgres";
import { createDb } from "../cell/db/client.ts";
import { migrateCellDatabase } from "../cell/db/migrate.ts";
import { provisionPartner } from "../cell/partners/provision.ts";
import { generateMasterKeyBase64 } from "../cell/vault/envelope.ts";
import { type CellInfra, startTestCellInfra } from "../platform/cell-infra.ts";
import { freePort } from "../platform/free-port.ts";
import { startGatewayProcess } from "../platform/gateway-process.ts";
import type { ManagedProcess } from "../platform/managed-process.ts";

const throughputSeconds = Number(process.argv[2] ?? 15);
const failoverRate = Number(process.argv[3] ?? 40);

interface BenchCell {
  infra: CellInfra;
  gateway: ManagedProcess;
  url: string;
  apiKey: string;
  sql: postgres.Sql;
  stop(): Promise<void>;
}

async function startBenchCell(cellId: string, replicas: number): Promise<BenchCell> {
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

interface Sent {
  key: string;
  at: number;
  ms: number;
  status: number;
  id?: string;
}

async function pay(cell: BenchCell, key: string): Promise<Sent> {
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
async function cellCpuSeconds(cell: BenchCell): Promise<number> {
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

const percentile = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

async function closedLoop(cell: BenchCell, label: string): Promise<string> {
  const results: Sent[] = [];
  const cpuBefore = await cellCpuSeconds(cell);
  const until = performance.now() + throughputSeconds * 1000;
  let n = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (performance.now() < until) results.push(await pay(cell, `${label}-${n++}`));
    }),
  );
  const ok = results.filter((r) => r.status === 201);
  const cpuMs = ((await cellCpuSeconds(cell)) - cpuBefore) * 1000;
  const ms = ok.map((r) => r.ms);
  return (
    `${label.padEnd(24)} ${(ok.length / throughputSeconds).toFixed(1).padStart(7)} payments/s  ` +
    `p50 ${percentile(ms, 50).toFixed(0)} ms  p99 ${percentile(ms, 99).toFixed(0)} ms  ` +
    `cpu ${(cpuMs / Math.max(1, ok.length)).toFixed(2)} ms/payment (gateway + database) ` +
    `(${results.length - ok.length} not 201)`
  );
}

async function failover(cell: BenchCell): Promise<string[]> {
  const cluster = cell.infra.replicatedPostgres!.cluster;
  const leader = (await cluster.leaderIndex())!;
  const sent: Promise<Sent>[] = [];
  const start = performance.now();
  const killAfterMs = 5_000;
  const totalMs = 25_000;
  let killedAt = 0;
  for (let i = 0; performance.now() - start < totalMs; i++) {
    const due = start + (i * 1000) / failoverRate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (killedAt === 0 && performance.now() - start >= killAfterMs) {
      process.kill((await cluster.postmasterPid(leader))!, "SIGKILL");
      killedAt = performance.now();
    }
    sent.push(pay(cell, `failover-${i}`)); // open loop: never wait for the answer
  }
  const results = await Promise.all(sent);
  const refused = results.filter((r) => r.status !== 201);
  const firstRefused = Math.min(...refused.map((r) => r.at));
  const lastRefused = Math.max(...refused.map((r) => r.at + r.ms));
  const acked = results.filter((r) => r.status === 201);
  const afterKill = results.filter((r) => r.at >= killedAt && r.status === 201);
  const firstOkAfterKill = Math.min(...afterKill.map((r) => r.at + r.ms));

  // The partner retries every refused key until it gets its answer.
  const pending = new Set(refused.map((r) => r.key));
  for (let round = 0; round < 60 && pending.size > 0; round++) {
    await Promise.all(
      [...pending].map(async (key) => {
        if ((await pay(cell, key)).status === 201) pending.delete(key);
      }),
    );
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 500));
  }
  const rows = await cell.sql<{ reference: string; id: string; n: number }[]>`
    select reference, min(id) as id, count(*)::int as n from payments
    where reference like 'failover-%' group by reference`;
  const byReference = new Map(rows.map((r) => [r.reference, r]));
  const lost = acked.filter((r) => byReference.get(r.key)?.id !== r.id).length;
  const twice = rows.filter((r) => r.n > 1).length;
  const statuses = new Map<number, number>();
  for (const r of refused) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
  const newLeader = await cluster.leaderIndex();
  return [
    `open loop ${failoverRate}/s for ${totalMs / 1000} s, primary (node ${leader}) SIGKILLed at ${killAfterMs / 1000} s; new primary: node ${newLeader}`,
    `sent ${results.length}, acknowledged ${acked.length}, refused ${refused.length} (${[...statuses].map(([s, n]) => `${n}× ${s}`).join(", ") || "none"})`,
    refused.length > 0
      ? `refusal window (first to last non-2xx): ${((lastRefused - firstRefused) / 1000).toFixed(2)} s, starting ${((firstRefused - killedAt) / 1000).toFixed(2)} s after the kill`
      : "refusal window: none (every request was answered 201)",
    `first 201 of a request sent after the kill: ${((firstOkAfterKill - killedAt) / 1000).toFixed(2)} s after it; slowest answer ${(Math.max(...results.map((r) => r.ms)) / 1000).toFixed(2)} s`,
    `acknowledged payments lost: ${lost}; payments charged twice: ${twice}; refused keys still unresolved after retries: ${pending.size}`,
  ];
}

const single = await startBenchCell("cell-single", 1);
const replicated = await startBenchCell("cell-ha", 2);
try {
  console.log(`cost of HA (closed loop, 16 clients, ${throughputSeconds} s each, same run):`);
  // Alternate, so that neither configuration always runs on a warmer (or busier) machine.
  const lines = [
    await closedLoop(single, "single postgres"),
    await closedLoop(replicated, "sync standby (patroni)"),
    await closedLoop(single, "single postgres (again)"),
    await closedLoop(replicated, "sync standby (again)"),
  ];
  for (const line of lines) console.log(`  ${line}`);
  await single.stop();
  console.log("failover:");
  for (const line of await failover(replicated)) console.log(`  ${line}`);
} finally {
  await single.stop();
  await replicated.stop();
}
