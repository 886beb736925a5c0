// The two ceilings measured in the same run as the platform, so the result is a ratio that holds
// on any machine: (a) a bare Hono JSON route at its max closed-loop rate through the same undici
// client; (b) durable one-row-per-commit Postgres inserts/s (synchronous_commit on, N connections).
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { Pool } from "undici";
import { ensureBinaries } from "../../platform/binaries.ts";
import { freePort } from "../../platform/free-port.ts";
import { startPostgres } from "../../platform/postgres-server.ts";
import { repoRoot } from "./platform.ts";
import { percentile } from "./stats.ts";

export interface HonoCeiling {
  rps: number;
  connections: number;
  p50: number;
  p99: number;
  serverCores: number;
}

export interface PgCeiling {
  /** The best rate over the concurrency levels tried. */
  insertsPerSecond: number;
  byConcurrency: Record<string, number>;
  where: string;
}

const cpuMsOf = async (pid: number) => {
  const { readFile } = await import("node:fs/promises");
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
};

export async function measureHonoCeiling(seconds = 6, connections = 64): Promise<HonoCeiling> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", "bench/ceiling/hono-server.ts", String(port)], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on("data", (d: Buffer) => d.toString().includes("listening") && resolve());
      child.once("exit", (code) => reject(new Error(`hono ceiling server exited (${code})`)));
    });
    const pool = new Pool(`http://127.0.0.1:${port}`, { connections, pipelining: 1 });
    const loop = async (until: number, lat: number[] | undefined) => {
      let n = 0;
      while (performance.now() < until) {
        const t0 = performance.now();
        const res = await pool.request({ method: "GET", path: "/json" });
        await res.body.text();
        lat?.push(performance.now() - t0);
        n++;
      }
      return n;
    };
    const clients = (ms: number, lat?: number[]) =>
      Promise.all(Array.from({ length: connections }, () => loop(performance.now() + ms, lat)));
    await clients(1500); // warm-up: JIT and connections
    const lat: number[] = [];
    const cpu0 = await cpuMsOf(child.pid!);
    const t0 = performance.now();
    const counts = await clients(seconds * 1000, lat);
    const elapsed = (performance.now() - t0) / 1000;
    const cpu1 = await cpuMsOf(child.pid!);
    await pool.close();
    lat.sort((a, b) => a - b);
    return {
      rps: Math.round(counts.reduce((a, b) => a + b, 0) / elapsed),
      connections,
      p50: Math.round(percentile(lat, 50) * 100) / 100,
      p99: Math.round(percentile(lat, 99) * 100) / 100,
      serverCores: Math.round(((cpu1 - cpu0) / 1000 / elapsed) * 100) / 100,
    };
  } finally {
    child.kill("SIGTERM");
  }
}

/** On the given Postgres server (a scratch database, never the cell's), or on one we start. */
export async function measurePgCeiling(
  serverUrl: string | undefined,
  seconds = 4,
  levels = [1, 16, 64],
): Promise<PgCeiling> {
  let own: { stop(): Promise<void> } | undefined;
  let dir: string | undefined;
  let url = serverUrl;
  if (url === undefined) {
    const bins = await ensureBinaries();
    dir = await mkdtemp(join(tmpdir(), "cellpay-bench-pg-"));
    const pg = await startPostgres({
      bin: bins.pgBin,
      dataDir: join(dir, "pg"),
      port: await freePort(),
      logFile: join(dir, "pg.log"),
      name: "bench-ceiling-postgres",
    });
    own = pg;
    url = pg.url;
  }
  try {
    const admin = postgres(url.replace(/\/[^/]*$/, "/postgres"), { max: 1, onnotice: () => {} });
    const exists = await admin`select 1 from pg_database where datname = 'bench_scratch'`;
    if (exists.length === 0) await admin.unsafe("create database bench_scratch");
    await admin.end();
    const scratch = url.replace(/\/[^/]*$/, "/bench_scratch");
    const setup = postgres(scratch, { max: 1, onnotice: () => {} });
    await setup.unsafe(
      "create table if not exists one_row_commits (id bigserial primary key, payload text not null, created timestamptz not null default now())",
    );
    await setup.unsafe("truncate one_row_commits");
    await setup.end();
    const byConcurrency: Record<string, number> = {};
    for (const n of levels) {
      const sql = postgres(scratch, {
        max: n,
        onnotice: () => {},
        connection: { synchronous_commit: "on" },
      });
      await Promise.all(Array.from({ length: n }, () => sql`select 1`));
      const until = performance.now() + seconds * 1000;
      const t0 = performance.now();
      const worker = async () => {
        let k = 0;
        // Autocommit: each INSERT is its own transaction, flushed to WAL before it returns.
        while (performance.now() < until) {
          await sql`insert into one_row_commits (payload) values (${"x".repeat(64)})`;
          k++;
        }
        return k;
      };
      const counts = await Promise.all(Array.from({ length: n }, worker));
      byConcurrency[String(n)] = Math.round(
        counts.reduce((a, b) => a + b, 0) / ((performance.now() - t0) / 1000),
      );
      await sql.end();
    }
    return {
      insertsPerSecond: Math.max(...Object.values(byConcurrency)),
      byConcurrency,
      where: serverUrl
        ? `cell Postgres ${new URL(serverUrl).port}, database bench_scratch`
        : "own Postgres (launcher)",
    };
  } finally {
    await own?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}
