// A quick same-run A/B of the CPU one card payment costs, across every platform process:
// `npx tsx bench/cost-probe.ts --base <dir of a baseline checkout> [--rounds 3] [--seconds 10]`.
// Starts the baseline checkout's platform and this one's, each on its own ports with one cell
// (a Patroni pair, one gateway, relay, processor) and one router, then alternates between them:
// a dense closed loop (32 clients of one partner posting card payments through the router) and a
// sparse open loop (100 payments/s), reading every process's CPU from /proc before and after.
// Prints payments/s, p50/p99 and CPU ms per payment by role for each build, and the ratios.
// (The full A/B scenario with baseline builds and reports is `npm run bench -- --scenario ab`.)
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";
import { Pool } from "undici";
import { AdminClient } from "./lib/admin.ts";
import { printStatements, resetStatements } from "./lib/pg-statements.ts";
import type { ProcSample } from "./lib/processes.ts";

const here = fileURLToPath(new URL("..", import.meta.url));
const { values: args } = parseArgs({
  options: {
    base: { type: "string" },
    /** More builds to compare: name=dir[,VAR=value…] (extra environment for that platform). */
    build: { type: "string", multiple: true, default: [] },
    rounds: { type: "string", default: "3" },
    seconds: { type: "string", default: "10" },
    clients: { type: "string", default: "32" },
    "sparse-rate": { type: "string", default: "100" },
    "keep-data": { type: "boolean", default: false },
    only: { type: "string" },
    /** Copies of each cell's Postgres (1: a single server, 2: a Patroni pair, synchronous). */
    replicas: { type: "string", default: "2" },
    /** After the rounds, print each build's top statements by execution time (pg_stat_statements). */
    "pg-stats": { type: "boolean", default: false },
  },
});
if (!args.base) throw new Error("--base <dir of the baseline checkout> is required");
const rounds = Number(args.rounds);
const seconds = Number(args.seconds);
const clients = Number(args.clients);
const sparseRate = Number(args["sparse-rate"]);

interface Build {
  name: string;
  dir: string;
  env?: Record<string, string>;
  portBase: number;
  child?: ChildProcess;
  exited?: Promise<void>;
  router?: string;
  apiKey?: string;
}

function cellsYaml(p: number): string {
  return `platform:
  control_plane: { port: ${p}, postgres: { port: ${p + 10} }, nats: { port: ${p + 12} } }
  routers: { instances: 1, port: ${p + 1} }
cells:
  - id: cell-a
    weight: 1
    gateways: 1
    processors: 1
    gateway_port: ${p + 100}
    internal_port: ${p + 150}
    postgres: { port: ${p + 120}, replicas: ${Number(args.replicas)} }
    redis: { port: ${p + 111} }
    nats: { port: ${p + 112} }
`;
}

async function startBuild(b: Build): Promise<void> {
  if (!args["keep-data"]) rmSync(join(b.dir, ".data"), { recursive: true, force: true });
  const file = `/tmp/cost-probe-${b.name}.yaml`;
  writeFileSync(file, cellsYaml(b.portBase));
  const child = spawn(process.execPath, ["--import", "tsx", "platform/start.ts"], {
    cwd: b.dir,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      LOG_LEVEL: "warn",
      CELLPAY_CELLS_FILE: file,
      CARD_TESTING_MAX_DECLINES: "1000000",
      ...b.env,
    },
  });
  b.child = child;
  b.exited = new Promise((r) => child.once("exit", () => r()));
  const tail: string[] = [];
  await new Promise<void>((ok, fail) => {
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n")) {
        if (line.trim()) tail.push(line);
        if (tail.length > 30) tail.shift();
        if (line.includes("cellpay is up")) ok();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    void b.exited!.then(() => fail(new Error(`${b.name} exited:\n${tail.join("\n")}`)));
    setTimeout(() => fail(new Error(`${b.name} not up:\n${tail.join("\n")}`)), 240_000).unref();
  });
  b.router = `http://127.0.0.1:${b.portBase + 1}`;
  const token = readFileSync(join(b.dir, ".data", "admin-token"), "utf8").trim();
  const admin = new AdminClient(`http://127.0.0.1:${b.portBase}`, token);
  const p = await admin.call<{ id: string; api_key: string }>("POST", "/admin/v1/partners", {
    name: `probe ${b.name}`,
    cell_id: "cell-a",
  });
  await admin.setLimits(p.id, { rate_limit: { rate: 100_000, burst: 100_000 }, max_concurrency: 4096 });
  await admin.close();
  b.apiKey = p.api_key;
}

async function stopBuild(b: Build): Promise<void> {
  if (!b.child?.pid) return;
  try {
    process.kill(-b.child.pid, "SIGINT");
  } catch {}
  const t = setTimeout(() => {
    try {
      process.kill(-b.child!.pid!, "SIGKILL");
    } catch {}
  }, 60_000);
  await b.exited;
  clearTimeout(t);
}

const card = { number: "4242424242424242", exp_month: 12, exp_year: 2034, cvc: "123" };
const runId = randomBytes(3).toString("hex");
let seq = 0;

async function pay(pool: Pool, apiKey: string): Promise<{ ok: boolean; ms: number }> {
  const started = performance.now();
  const body = JSON.stringify({
    amount: 100 + (seq % 5000),
    currency: "EUR",
    capture_method: "automatic",
    payment_method: { type: "card", card },
    reference: `probe-${seq}`,
  });
  const res = await pool.request({
    method: "POST",
    path: "/v1/payments",
    headers: {
      authorization: `Bearer ${apiKey}`,
      "content-type": "application/json",
      "idempotency-key": `probe-${runId}-${++seq}`,
    },
    body,
  });
  await res.body.text();
  return { ok: res.statusCode === 201, ms: performance.now() - started };
}

type Role = ProcSample["role"];

interface RawProc {
  pid: number;
  ppid: number;
  pgid: number;
  cpuMs: number;
  cmdline: string;
}
const snapshotScript = fileURLToPath(new URL("./lib/proc-snapshot.mjs", import.meta.url));

function roleOf(cmdline: string): Role | undefined {
  if (cmdline.includes("gateway/main")) return "gateway";
  if (cmdline.includes("router/main")) return "router";
  if (cmdline.includes("relay/main")) return "relay";
  if (cmdline.includes("processors/main") || cmdline.includes("cell-worker")) return "processor";
  if (cmdline.includes("control-plane/main")) return "control-plane";
  if (cmdline.includes("platform/start")) return "launcher";
  if (/(^|\/)postgres(\0| |:)/.test(cmdline) || cmdline.startsWith("postgres:")) return "postgres";
  if (cmdline.includes("redis-server")) return "redis";
  if (cmdline.includes("nats-server")) return "nats";
  return undefined;
}

/** CPU ms of every process of one build: its launcher's group, and the Postgres servers of its .data. */
async function cpuOf(b: Build): Promise<Map<number, { role: Role; cpuMs: number }>> {
  const { stdout } = await promisify(execFile)(process.execPath, [snapshotScript], { maxBuffer: 64 << 20 });
  const procs = (JSON.parse(stdout) as { procs: RawProc[] }).procs;
  const byPid = new Map(procs.map((p) => [p.pid, p]));
  const inGroup = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 12; hops++) {
      const info = byPid.get(p);
      if (!info) return false;
      if (info.pgid === b.child!.pid) return true;
      if (info.cmdline.includes(join(b.dir, ".data"))) return true;
      p = info.ppid;
    }
    return false;
  };
  const out = new Map<number, { role: Role; cpuMs: number }>();
  for (const p of procs) {
    const role = roleOf(p.cmdline);
    if (role && inGroup(p.pid)) out.set(p.pid, { role, cpuMs: p.cpuMs });
  }
  return out;
}
interface Sample {
  build: string;
  load: string;
  payments: number;
  errors: number;
  seconds: number;
  p50: number;
  p99: number;
  cpuMsByRole: Partial<Record<Role, number>>;
}

const pct = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
};

async function measure(b: Build, load: "dense" | "sparse"): Promise<Sample> {
  const pool = new Pool(b.router!, { connections: clients, pipelining: 1 });
  // warm-up, so connections and caches are there
  const warmEnd = performance.now() + 2000;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (performance.now() < warmEnd) await pay(pool, b.apiKey!);
    }),
  );
  const before = await cpuOf(b);
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  const lat: number[] = [];
  let errors = 0;
  const record = (r: { ok: boolean; ms: number }) => {
    if (r.ok) lat.push(r.ms);
    else errors++;
  };
  if (load === "dense") {
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (performance.now() < end) record(await pay(pool, b.apiKey!));
      }),
    );
  } else {
    const inflight: Promise<void>[] = [];
    const gap = 1000 / sparseRate;
    for (let next = t0; next < end; next += gap) {
      const wait = next - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      inflight.push(pay(pool, b.apiKey!).then(record));
    }
    await Promise.all(inflight);
  }
  const elapsed = (performance.now() - t0) / 1000;
  const after = await cpuOf(b);
  await pool.close();
  const cpu: Partial<Record<Role, number>> = {};
  for (const [pid, s] of after) cpu[s.role] = (cpu[s.role] ?? 0) + (s.cpuMs - (before.get(pid)?.cpuMs ?? 0));
  return {
    build: b.name,
    load,
    payments: lat.length,
    errors,
    seconds: elapsed,
    p50: pct(lat, 0.5),
    p99: pct(lat, 0.99),
    cpuMsByRole: cpu,
  };
}

const roles: Role[] = [
  "postgres",
  "gateway",
  "router",
  "processor",
  "relay",
  "nats",
  "redis",
  "control-plane",
  "launcher",
];

function summarise(samples: Sample[]): void {
  for (const load of ["dense", "sparse"]) {
    console.log(`\n== ${load} ==`);
    const rows: Record<
      string,
      { pps: number; p50: number; p99: number; cpu: Record<string, number>; total: number }
    > = {};
    for (const name of [...new Set(samples.map((s) => s.build))]) {
      const mine = samples.filter((s) => s.build === name && s.load === load);
      if (mine.length === 0) continue;
      const payments = mine.reduce((a, s) => a + s.payments, 0);
      const secs = mine.reduce((a, s) => a + s.seconds, 0);
      const cpu: Record<string, number> = {};
      for (const r of roles) cpu[r] = mine.reduce((a, s) => a + (s.cpuMsByRole[r] ?? 0), 0) / payments;
      const total = Object.values(cpu).reduce((a, b) => a + b, 0);
      rows[name] = {
        pps: payments / secs,
        p50: pct(
          mine.map((s) => s.p50),
          0.5,
        ),
        p99: pct(
          mine.map((s) => s.p99),
          0.5,
        ),
        cpu,
        total,
      };
      const errs = mine.reduce((a, s) => a + s.errors, 0);
      console.log(
        `${name.padEnd(6)} ${(payments / secs).toFixed(0).padStart(5)} pay/s  p50 ${rows[name].p50.toFixed(1)} p99 ${rows[name].p99.toFixed(1)} ms  errors ${errs}  CPU ms/payment ${total.toFixed(3)}: ${roles
          .map((r) => `${r} ${cpu[r]!.toFixed(3)}`)
          .join(", ")}`,
      );
    }
    const base = rows.base;
    for (const [name, r] of Object.entries(rows)) {
      if (base && name !== "base")
        console.log(
          `ratio ${name}/base: pay/s ${(r.pps / base.pps).toFixed(2)}, CPU/payment ${(r.total / base.total).toFixed(2)}`,
        );
    }
  }
}

const builds: Build[] = [
  { name: "base", dir: resolve(args.base), portBase: 18000 },
  { name: "this", dir: here, portBase: 19000 },
  ...(args.build ?? []).map((spec, i) => {
    const [head, ...vars] = spec.split(",");
    const [name, dir] = head!.split("=");
    const env = Object.fromEntries(
      vars.map((v) => [v.slice(0, v.indexOf("=")), v.slice(v.indexOf("=") + 1)]),
    );
    return { name: name!, dir: resolve(dir!), portBase: 20000 + 1000 * i, env };
  }),
].filter((b) => !args.only || args.only.split(",").includes(b.name));
const pgUrl = (b: Build) => `postgres://postgres@127.0.0.1:${b.portBase + 120}/cellpay`;
const samples: Sample[] = [];
try {
  for (const b of builds) {
    console.log(`starting ${b.name} (${b.dir})…`);
    await startBuild(b);
  }
  if (args["pg-stats"]) for (const b of builds) await resetStatements(pgUrl(b));
  for (let r = 0; r < rounds; r++) {
    // Alternate the order, so drift in the machine's load does not always favour the same build.
    const order = r % 2 === 0 ? builds : [...builds].reverse();
    for (const load of ["dense", "sparse"] as const) {
      for (const b of order) {
        const s = await measure(b, load);
        samples.push(s);
        const total = Object.values(s.cpuMsByRole).reduce((a, x) => a + x, 0) / s.payments;
        console.log(
          `round ${r + 1} ${load} ${b.name}: ${(s.payments / s.seconds).toFixed(0)}/s p99 ${s.p99.toFixed(1)} ms, ${total.toFixed(3)} ms CPU/payment`,
        );
      }
    }
  }
  summarise(samples);
  if (args["pg-stats"]) for (const b of builds) await printStatements(b.name, pgUrl(b));
  writeFileSync(`/tmp/cost-probe-${runId}.json`, JSON.stringify(samples, null, 2));
  console.log(`\nsamples: /tmp/cost-probe-${runId}.json`);
} finally {
  await Promise.all(builds.map(stopBuild));
}
