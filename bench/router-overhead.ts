// What the router adds per request. One real cell (gateway in this process) and one router in its
// own process (as in production, so its CPU is its own), fed by the control-plane stand-in. The
// same closed loop (20 clients, 10 s, alternating POST /v1/payments and GET /v1/payments/:id) runs
// straight at the gateway and then through the router; we print p50/p99 both ways and the
// router's CPU time per request (from /proc/<pid>/stat).
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Pool } from "undici";
import { freePort } from "../platform/free-port.ts";
import { eventually, startRoutingWorld } from "../router/testing/router-fixture.ts";
import { card } from "../test/harness.ts";

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 20);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = 2;

interface RunResult {
  get: number[];
  post: number[];
  errors: number;
  count: number;
}

async function closedLoop(
  url: string,
  apiKey: string,
  paymentId: string,
  seconds: number,
): Promise<RunResult> {
  const pool = new Pool(url, { connections: CLIENTS });
  const result: RunResult = { get: [], post: [], errors: 0, count: 0 };
  const body = JSON.stringify({ amount: 1200, currency: "eur", payment_method: card() });
  const headers = { authorization: `Bearer ${apiKey}`, "content-type": "application/json" };
  const end = performance.now() + seconds * 1000;
  const client = async (n: number) => {
    let post = n % 2 === 0;
    while (performance.now() < end) {
      const started = performance.now();
      const res = await pool.request(
        post
          ? { method: "POST", path: "/v1/payments", headers, body }
          : { method: "GET", path: `/v1/payments/${paymentId}`, headers },
      );
      await res.body.dump();
      const ms = performance.now() - started;
      if (res.statusCode !== (post ? 201 : 200)) result.errors++;
      (post ? result.post : result.get).push(ms);
      result.count++;
      post = !post;
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)));
  await pool.close();
  return result;
}

function merge(into: RunResult, from: RunResult): void {
  into.get.push(...from.get);
  into.post.push(...from.post);
  into.errors += from.errors;
  into.count += from.count;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

/** utime + stime of a process, in ms (Linux reports clock ticks; 100 per second here). */
async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function main() {
  console.log("starting a cell, the control-plane stand-in and a router process…");
  const world = await startRoutingWorld(1, {
    RATE_LIMIT_RATE: "1000000",
    RATE_LIMIT_BURST: "1000000",
    PARTNER_MAX_CONCURRENCY: "10000",
    MAX_IN_FLIGHT: "10000",
  });
  const partner = await world.cells[0]!.partner("Bench partner");
  await world.controlPlane.publish({
    partners: { [partner.partnerId]: { cell: "cell-a", status: "active", frozen: false } },
  });
  const port = await freePort();
  const profile = process.env.BENCH_PROFILE_DIR
    ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`]
    : [];
  const child = spawn(process.execPath, [...profile, "--import", "tsx", "router/main.ts"], {
    cwd: process.cwd(),
    stdio: ["ignore", "ignore", "inherit"],
    env: {
      ...process.env,
      PORT: String(port),
      CONTROL_PLANE_URL: world.controlPlane.url,
      CONTROL_PLANE_NATS_URL: world.nats.url,
      CONTROL_PLANE_NATS_NKEY_SEED_FILE: world.nats.users.router.seedFile,
      ROUTING_PUBLIC_KEY: world.signing.publicKey,
      CELLPAY_ROUTER_TABLE_TOKEN: world.controlPlane.token,
      CELLPAY_METRICS_TOKEN: "bench-metrics-scrape-token-0123",
      ROUTER_SNAPSHOT_FILE: join(world.dir, "bench-router.snapshot.json"),
      LOG_LEVEL: "warn",
    },
  });
  const routerUrl = `http://127.0.0.1:${port}`;
  try {
    await eventually(async () => {
      const res = await fetch(`${routerUrl}/readyz`).catch(() => undefined);
      return res?.status === 200;
    }, 20_000);
    const gatewayUrl = world.cells[0]!.url;
    const first = await fetch(`${gatewayUrl}/v1/payments`, {
      method: "POST",
      headers: { authorization: `Bearer ${partner.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ amount: 100, currency: "eur", payment_method: card() }),
    });
    const paymentId = String(((await first.json()) as { id: string }).id);

    console.log(`warming up (${WARMUP_SECONDS} s each way)…`);
    await closedLoop(gatewayUrl, partner.apiKey, paymentId, WARMUP_SECONDS);
    await closedLoop(routerUrl, partner.apiKey, paymentId, WARMUP_SECONDS);

    // Interleaved rounds: on a shared machine, load from elsewhere then hits both paths alike.
    const rounds = Math.max(1, Math.round(SECONDS / 2));
    console.log(`measuring: ${CLIENTS} clients, ${SECONDS} s each way, in ${rounds} interleaved rounds…`);
    const direct: RunResult = { get: [], post: [], errors: 0, count: 0 };
    const routed: RunResult = { get: [], post: [], errors: 0, count: 0 };
    let routerCpu = 0;
    for (let i = 0; i < rounds; i++) {
      merge(direct, await closedLoop(gatewayUrl, partner.apiKey, paymentId, SECONDS / rounds));
      const cpuBefore = await cpuMs(child.pid!);
      merge(routed, await closedLoop(routerUrl, partner.apiKey, paymentId, SECONDS / rounds));
      routerCpu += (await cpuMs(child.pid!)) - cpuBefore;
    }

    const row = (name: string, d: number[], r: number[]) => {
      const [d50, d99, r50, r99] = [
        percentile(d, 50),
        percentile(d, 99),
        percentile(r, 50),
        percentile(r, 99),
      ];
      const f = (n: number) => n.toFixed(2).padStart(8);
      console.log(
        `${name.padEnd(22)} direct p50 ${f(d50)} p99 ${f(d99)} | router p50 ${f(r50)} p99 ${f(r99)} | added p50 ${f(r50 - d50)} p99 ${f(r99 - d99)} ms`,
      );
    };
    console.log("");
    row("GET /v1/payments/:id", direct.get, routed.get);
    row("POST /v1/payments", direct.post, routed.post);
    row("all", [...direct.get, ...direct.post], [...routed.get, ...routed.post]);
    console.log(
      `throughput: direct ${(direct.count / SECONDS).toFixed(0)} req/s, through router ${(routed.count / SECONDS).toFixed(0)} req/s; ` +
        `errors: direct ${direct.errors}, router ${routed.errors}`,
    );
    console.log(
      `router CPU: ${routerCpu} ms for ${routed.count} requests = ${((routerCpu * 1000) / routed.count).toFixed(0)} µs per request`,
    );
  } finally {
    child.kill("SIGTERM");
    await new Promise((resolve) => child.once("exit", resolve));
    await world.stop();
  }
}

await main();
