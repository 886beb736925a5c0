// `npm run bench -- --scenario <steady|knee|spike|noisy|cell-loss|move|scale|failover|ha-cost|restore>`
// (`ab`: bench/ab/run-ab.ts): starts the local
// platform (or targets a running one), measures the two ceilings, onboards the partners, drives
// open-loop load for the scenario, and writes bench/reports/<timestamp>-<scenario>.{json,html}.
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { cellsFilePath, loadCellsFile } from "../shared/config/cells-config.ts";
import { runAb } from "./ab/run-ab.ts";
import { runFailover } from "./ha/failover.ts";
import { runHaCost } from "./ha/ha-cost.ts";
import { writeHaReport } from "./ha/ha-report.ts";
import { AdminClient, liftHotPartnerLimits, onboardPartners } from "./lib/admin.ts";
import { type BenchOptions, type HaScenarioName, parseBenchArgs, type ScenarioName } from "./lib/args.ts";
import { measureHonoCeiling, measurePgCeiling } from "./lib/ceilings.ts";
import { type BenchContext, createTicker, type ScenarioResult } from "./lib/context.ts";
import { LoadGenerator } from "./lib/load.ts";
import { openPlatform, type Platform, repoRoot } from "./lib/platform.ts";
import { buildReport, printSummary, writeReport } from "./lib/report.ts";
import { Workload } from "./lib/workload.ts";
import { createZipf } from "./lib/zipf.ts";
import { printTopFunctions } from "./profile/top-functions.ts";
import { runCellLoss } from "./scenarios/cell-loss.ts";
import { runKnee } from "./scenarios/knee.ts";
import { runMove } from "./scenarios/move.ts";
import { runNoisy } from "./scenarios/noisy.ts";
import { runRestoreBench } from "./scenarios/restore.ts";
import { runScale } from "./scenarios/scale.ts";
import { runSpike } from "./scenarios/spike.ts";
import { runSteady } from "./scenarios/steady.ts";

// restore runs its own cell (bench/scenarios/restore.ts), not the platform.
const scenarios: Record<
  Exclude<ScenarioName, HaScenarioName | "restore">,
  (ctx: BenchContext) => Promise<ScenarioResult>
> = {
  steady: runSteady,
  knee: runKnee,
  spike: runSpike,
  noisy: runNoisy,
  "cell-loss": runCellLoss,
  move: runMove,
  scale: runScale,
};

function portScopes(cellsFile: string): Map<number, string> {
  const file = loadCellsFile(cellsFilePath(repoRoot, { CELLPAY_CELLS_FILE: cellsFile }));
  const map = new Map<number, string>();
  const cp = file.platform.control_plane;
  for (const port of [cp.postgres.port, cp.nats.port]) if (port) map.set(port, "control-plane");
  for (const cell of file.cells)
    for (const port of [cell.postgres.port, cell.redis.port, cell.nats.port])
      if (port) map.set(port, cell.id);
  return map;
}

/** A small, seedable generator, so two runs make the same choices. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  // The A/B starts two builds of its own (bench/ab/): it shares the load and /proc code, not this flow.
  if (argv.includes("--scenario=ab") || argv[argv.indexOf("--scenario") + 1] === "ab") return runAb(argv);
  const opts = parseBenchArgs(argv);
  if (opts.scenario === "restore") return runRestoreBench(opts.rows);
  const startedAt = new Date();
  if (opts.scenario === "failover" || opts.scenario === "ha-cost") return runHaScenario(opts, startedAt);
  const profileDir = opts.profile ? profileDirFor(startedAt, opts.scenario) : undefined;
  const runId = randomBytes(4).toString("hex");
  console.log(
    opts.target ? `targeting ${opts.target.join(", ")}` : "starting the local platform (npm start)…",
  );
  const platform: Platform = await openPlatform(opts);
  const admin = new AdminClient(platform.adminUrl, platform.adminToken);
  let gen: LoadGenerator | undefined;
  try {
    const ceilings: Parameters<typeof buildReport>[0]["ceilings"] = {
      hono: undefined,
      postgres: undefined,
    };
    if (!opts.skipCeilings) {
      console.log("ceiling (a): bare Hono JSON route, closed loop…");
      ceilings.hono = await measureHonoCeiling();
      console.log(`  ${ceilings.hono.rps} req/s (p50 ${ceilings.hono.p50} ms, p99 ${ceilings.hono.p99} ms)`);
      console.log("ceiling (b): durable one-row-per-commit Postgres inserts…");
      const firstCell = Object.values(platform.cellPostgres)[0];
      ceilings.postgres = await measurePgCeiling(platform.pgid !== undefined ? firstCell : undefined);
      console.log(
        `  ${ceilings.postgres.insertsPerSecond}/s ${JSON.stringify(ceilings.postgres.byConcurrency)}`,
      );
    }
    console.log(`onboarding ${opts.partners} partners${opts.cell ? ` into ${opts.cell}` : ""}…`);
    // Locally, partners alternate between the cells, so each run loads every cell alike whatever
    // earlier runs left in .data/ (placement would fill the emptiest cell first).
    const localCells = opts.target
      ? []
      : loadCellsFile(cellsFilePath(repoRoot, { CELLPAY_CELLS_FILE: opts.cellsFile })).cells.map((c) => c.id);
    const cellFor = (index: number) =>
      opts.cell ?? (localCells.length > 0 ? localCells[index % localCells.length] : undefined);
    const onboarded = await onboardPartners(admin, opts.partners, runId, cellFor);
    const byCell: Record<string, number> = {};
    for (const p of onboarded.partners) byCell[p.cell] = (byCell[p.cell] ?? 0) + 1;
    console.log(
      `  ${opts.partners} partners in ${onboarded.seconds.toFixed(1)} s: ${JSON.stringify(byCell)}`,
    );
    const zipf = createZipf(opts.partners, opts.zipf);
    const lifted = await liftHotPartnerLimits(
      admin,
      onboarded.partners,
      zipf.share,
      Math.max(10_000, opts.rate * 5),
    );
    console.log(
      `  raised the rate limit of the ${lifted} busiest partners (their Zipf share passes the default)`,
    );
    const random = mulberry32(0xce11);
    const workload = new Workload(runId, random);
    gen = new LoadGenerator(platform.routerUrls, opts.connections, workload);
    const base = {
      opts,
      platform,
      admin,
      partners: onboarded.partners,
      zipf,
      workload,
      gen,
      random,
      portScope: portScopes(opts.cellsFile),
    };
    const ticker = createTicker(base);
    const partners = onboarded.partners;
    const ctx: BenchContext = {
      ...base,
      tick: ticker.tick,
      cpuByPhase: ticker.cpuByPhase,
      pickPartner(accept) {
        for (;;) {
          const p = partners[zipf.pick(random)]!;
          if (!accept || accept(p)) return p;
        }
      },
    };
    console.log(
      `running ${opts.scenario} (open loop, ${opts.connections} connections to ${platform.routerUrls.length} routers)…`,
    );
    const result = await scenarios[opts.scenario](ctx);
    await ticker.finish();
    const report = buildReport({
      options: opts,
      startedAt,
      partners: { count: opts.partners, onboardingSeconds: onboarded.seconds, byCell },
      ceilings,
      samples: gen.samples,
      abandoned: gen.abandoned,
      cpuByPhase: ticker.cpuByPhase,
      cpuSeconds: ticker.cpuSeconds,
      result,
    });
    printSummary(report);
    const base2 = await writeReport(report, join(repoRoot, "bench", "reports"));
    console.log(`\nreport: ${base2}.html (and .json)`);
    process.exitCode = result.checks.every((c) => c.pass) ? 0 : 1;
  } finally {
    await gen?.close().catch(() => {});
    await admin.close().catch(() => {});
    if (platform.pgid !== undefined) console.log("stopping the platform…");
    await platform.stop();
    if (profileDir) {
      console.log(`CPU profiles (whole run) in ${profileDir}:`);
      await printTopFunctions(profileDir);
    }
  }
}

/** --profile: every router, gateway, relay and processor writes a .cpuprofile when it stops. */
function profileDirFor(startedAt: Date, scenario: string): string {
  const stamp = startedAt
    .toISOString()
    .replace(/[:.]/g, "-")
    .replace(/-\d{3}Z$/, "Z");
  const dir = join(repoRoot, "bench", "reports", "profiles", `${stamp}-${scenario}`);
  mkdirSync(dir, { recursive: true });
  process.env.BENCH_PLATFORM_NODE_OPTIONS ??= `--import ${join(repoRoot, "bench", "profile", "cpu-profile.mjs")}`;
  process.env.BENCH_CPU_PROF_DIR = dir;
  process.env.BENCH_CPU_PROF_MATCH ??= "gateway/main|router/main|relay/main|processors/main";
  return dir;
}

/** failover and ha-cost start their own cells (bench/ha/): no router, control plane or partners. */
async function runHaScenario(opts: BenchOptions, startedAt: Date): Promise<void> {
  console.log(`running ${opts.scenario} (its own cells: Patroni + etcd Postgres, one gateway each)…`);
  const result =
    opts.scenario === "failover"
      ? await runFailover({ rate: opts.rateGiven ? opts.rate : 15, durationSeconds: opts.duration ?? 25 })
      : await runHaCost({ durationSeconds: opts.duration ?? 15 });
  const report = { ...result, startedAt };
  for (const c of report.checks) console.log(`  ${c.pass ? "PASS" : "FAIL"} ${c.name}: ${c.detail}`);
  const base = await writeHaReport(report, join(repoRoot, "bench", "reports"));
  console.log(`\nreport: ${base}.txt (and .json)`);
  process.exitCode = report.checks.every((c) => c.pass) ? 0 : 1;
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
