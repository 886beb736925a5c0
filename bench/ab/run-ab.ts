// `npm run bench -- --scenario ab --baseline <ref>`: the same dense and sparse payment loads
// against two builds, alternately, in one run. Each build is checked out in its own temporary
// worktree and started by its own bench platform code (platform-driver.mjs), one at a time, in
// its own bench topology cut to one cell; this process drives the load and reads /proc.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { measureHonoCeiling, measurePgCeiling } from "../lib/ceilings.ts";
import { repoRoot } from "../lib/platform.ts";
import { sampleProcesses } from "../lib/processes.ts";
import { printTopFunctions } from "../profile/top-functions.ts";
import {
  type AbReport,
  type BuildRound,
  type Measurement,
  machineInfo,
  printAbSummary,
  summariseRounds,
  writeAbReport,
} from "./ab-report.ts";
import { type RunningBuild, startBuildPlatform } from "./build-platform.ts";
import {
  addBuildWorktree,
  type BuildWorktree,
  removeBuildWorktree,
  uncommittedChanges,
} from "./build-worktree.ts";
import { cpuBetween, markCpu } from "./cpu-by-role.ts";
import { type AbOptions, parseAbArgs } from "./options.ts";
import { closedLoop, type LoadResult, openLoop, paymentPool, probePayment } from "./payment-load.ts";
import { searchRate } from "./rate-search.ts";
import { type BuildTopology, findPortBlock, writeBuildTopology } from "./topology.ts";

const profileHook = fileURLToPath(new URL("../profile/cpu-profile.mjs", import.meta.url));
const profiledEntries = "gateway/main|router/main|relay/main|processors/main";

interface Build extends BuildWorktree {
  topology: BuildTopology;
}

/** Until one payment goes through: the router learns a new partner from the control plane. */
async function firstPayment(running: RunningBuild): Promise<void> {
  const pool = paymentPool(running.routerUrl, 1);
  try {
    const until = performance.now() + 60_000;
    let last: string | undefined;
    while (performance.now() < until) {
      last = await probePayment(pool, running.apiKey);
      if (last === undefined) return;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`no payment went through in 60 s (last answer: ${last})`);
  } finally {
    await pool.close();
  }
}

async function measure(
  running: RunningBuild,
  build: Build,
  load: () => Promise<LoadResult>,
): Promise<Measurement> {
  const a = await markCpu(running.launcherPgid, build.topology.portScope);
  const result = await load();
  const b = await markCpu(running.launcherPgid, build.topology.portScope);
  const cpu = cpuBetween(a, b, result.payments);
  return { load: result, paymentsPerSecond: Math.round(result.payments / cpu.seconds), cpu };
}

function line(name: string, m: Measurement): string {
  const c = m.cpu.msPerPayment;
  return `    ${name}: ${m.paymentsPerSecond} payments/s, p50 ${m.load.p50} ms, p99 ${m.load.p99} ms, ${m.load.sent - m.load.payments} failed; CPU ms/payment ${c.platform} (router ${c.router}, gateway ${c.gateway}, relay ${c.relay}, processor ${c.processor}, postgres ${c.postgres}, nats ${c.nats}, redis ${c.redis}, other ${c.other}; bench ${c.bench}; machine ${c.machine})`;
}

async function runBuildRound(
  build: Build,
  opts: AbOptions,
  round: number,
  order: number,
  search: boolean,
  track: (r: RunningBuild | undefined) => void,
): Promise<BuildRound> {
  console.log(`  round ${round + 1}: ${build.name} (${build.commit.slice(0, 10)}) starting…`);
  const running = await startBuildPlatform(build.root, build.topology.file, build.topology.cellId);
  track(running);
  try {
    console.log(`    up in ${running.startSeconds.toFixed(1)} s`);
    await firstPayment(running);
    const dense = paymentPool(running.routerUrl, opts.clients);
    const open = paymentPool(running.routerUrl, 256);
    try {
      if (opts.warmup > 0) await closedLoop(dense, running.apiKey, opts.clients, opts.warmup);
      const denseM = await measure(running, build, () =>
        closedLoop(dense, running.apiKey, opts.clients, opts.denseSeconds),
      );
      console.log(line("dense", denseM));
      await openLoop(open, running.apiKey, opts.sparseRate, Math.min(3, opts.warmup));
      const sparseM = await measure(running, build, () =>
        openLoop(open, running.apiKey, opts.sparseRate, opts.sparseSeconds),
      );
      console.log(line("sparse", sparseM));
      const out: BuildRound = {
        round,
        build: build.name,
        order,
        startSeconds: Math.round(running.startSeconds * 10) / 10,
        loads: { dense: denseM, sparse: sparseM },
      };
      if (search) {
        out.search = await searchRate(open, running.apiKey, {
          start: Math.max(opts.sparseRate, denseM.paymentsPerSecond * 0.5),
          steps: opts.searchSteps,
          stepSeconds: opts.searchStepSeconds,
          p99Bound: opts.searchP99,
        });
      }
      return out;
    } finally {
      await dense.close();
      await open.close();
    }
  } finally {
    await running.stop();
    track(undefined);
  }
}

/** One extra start per build: CPU profiles of router, gateway, relay, processor over dense load. */
async function profileBuild(
  build: Build,
  opts: AbOptions,
  dir: string,
  track: (r: RunningBuild | undefined) => void,
): Promise<Record<string, { fn: string; where: string; share: number }[]>> {
  const { mkdir } = await import("node:fs/promises");
  await mkdir(dir, { recursive: true });
  console.log(`  profiling ${build.name} under dense load → ${dir}`);
  const running = await startBuildPlatform(build.root, build.topology.file, build.topology.cellId, {
    BENCH_PLATFORM_NODE_OPTIONS: `--import ${profileHook}`,
    BENCH_CPU_PROF_MODE: "signal",
    BENCH_CPU_PROF_DIR: dir,
    BENCH_CPU_PROF_MATCH: profiledEntries,
  });
  track(running);
  try {
    await firstPayment(running);
    const pool = paymentPool(running.routerUrl, opts.clients);
    try {
      await closedLoop(pool, running.apiKey, opts.clients, Math.max(3, opts.warmup));
      const { procs } = await sampleProcesses(running.launcherPgid, build.topology.portScope);
      const pids = procs
        .filter((p) => ["router", "gateway", "relay", "processor"].includes(p.role))
        .map((p) => p.pid);
      const toggle = () => {
        for (const pid of pids) {
          try {
            process.kill(pid, "SIGUSR2");
          } catch {
            // exited
          }
        }
      };
      toggle();
      await closedLoop(pool, running.apiKey, opts.clients, opts.denseSeconds);
      toggle();
      await new Promise((r) => setTimeout(r, 3000)); // each process writes its profile
    } finally {
      await pool.close();
    }
  } finally {
    await running.stop();
    track(undefined);
  }
  const top = await printTopFunctions(dir);
  return Object.fromEntries(
    Object.entries(top).map(([f, t]) => [f, t.map(({ fn, where, share }) => ({ fn, where, share }))]),
  );
}

export async function runAb(argv: string[]): Promise<void> {
  const opts = parseAbArgs(argv);
  const startedAt = new Date();
  const notes: string[] = [
    "On a shared machine absolute rates vary with what others run: compare the builds by the per-round ratios, and read the 'machine' column (CPU used outside the platform and the bench) to see how busy the box was.",
    ...(opts.note ? [opts.note] : []),
    ...(opts.postgresReplicas === undefined
      ? []
      : [
          `--postgres-replicas ${opts.postgresReplicas}: a build whose topology has Postgres replicas ran ${opts.postgresReplicas} cop${opts.postgresReplicas === 1 ? "y" : "ies"} per cell`,
        ]),
  ];
  const dirty = await uncommittedChanges(repoRoot);
  if (dirty.length > 0 && opts.current === "HEAD") {
    const msg = `the current build is HEAD (${dirty.length} uncommitted changes in tracked files are not measured)`;
    console.log(`warning: ${msg}`);
    notes.push(msg);
  }
  const parent = await mkdtemp(join(tmpdir(), "cellpay-ab-"));
  const { chmod } = await import("node:fs/promises");
  await chmod(parent, 0o755);
  const worktrees: BuildWorktree[] = [];
  let running: RunningBuild | undefined;
  const track = (r: RunningBuild | undefined) => {
    running = r;
  };
  let cleaning: Promise<void> | undefined;
  const cleanup = () => {
    cleaning ??= (async () => {
      await running?.stop().catch(() => {});
      for (const w of worktrees) await removeBuildWorktree(repoRoot, w);
      await rm(parent, { recursive: true, force: true }).catch(() => {});
    })();
    return cleaning;
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      console.log(`\n${signal}: stopping the build under test and removing the worktrees…`);
      void cleanup().finally(() => process.exit(130));
    });
  }
  try {
    console.log(`preparing worktrees under ${parent}…`);
    const portBase = await findPortBlock();
    const builds: Build[] = [];
    for (const [name, ref] of [
      ["baseline", opts.baseline],
      ["current", opts.current],
    ] as const) {
      const w = await addBuildWorktree(repoRoot, parent, name, ref);
      worktrees.push(w);
      const topology = await writeBuildTopology(w.root, portBase, opts.postgresReplicas);
      builds.push({ ...w, topology });
      console.log(
        `  ${name}: ${ref} = ${w.commit.slice(0, 10)} "${w.subject.slice(0, 70)}"; node_modules ${w.modules}`,
      );
    }
    const ceilings: AbReport["ceilings"] = { hono: undefined, postgres: undefined };
    if (!opts.skipCeilings) {
      console.log("ceilings: bare Hono, then durable one-row commits (own Postgres)…");
      ceilings.hono = await measureHonoCeiling();
      ceilings.postgres = await measurePgCeiling(undefined);
      console.log(
        `  bare Hono ${ceilings.hono.rps} req/s; one-row commits ${ceilings.postgres.insertsPerSecond}/s`,
      );
    }
    const rounds: BuildRound[] = [];
    for (let round = 0; round < opts.rounds; round++) {
      // ABBA…: neither build always goes first (a warming or cooling machine hits both alike).
      const order = round % 2 === 0 ? builds : [...builds].reverse();
      for (const [i, build] of order.entries()) {
        const search = round === opts.rounds - 1 && opts.searchSteps > 0;
        rounds.push(await runBuildRound(build, opts, round, i, search, track));
      }
    }
    const names = builds.map((b) => b.name);
    const search: AbReport["search"] = {};
    for (const name of names) {
      const s = rounds.find((r) => r.build === name && r.search)?.search;
      const ratio = (a: number, b: number | undefined) =>
        b ? Math.round((a / b) * 10000) / 10000 : undefined;
      search[name] = s && {
        ...s,
        ...(ceilings.hono ? { ratioToHono: ratio(s.bestRate, ceilings.hono.rps) } : {}),
        ...(ceilings.postgres
          ? { ratioToPostgres: ratio(s.bestRate, ceilings.postgres.insertsPerSecond) }
          : {}),
      };
    }
    let profiles: AbReport["profiles"];
    if (opts.profile) {
      const stamp = startedAt
        .toISOString()
        .replace(/[:.]/g, "-")
        .replace(/-\d{3}Z$/, "Z");
      profiles = {};
      for (const build of builds) {
        const dir = join(repoRoot, "bench", "reports", "profiles", `${stamp}-ab`, build.name);
        profiles[build.name] = {
          dir: dir.slice(repoRoot.length),
          top: await profileBuild(build, opts, dir, track),
        };
      }
    }
    const report: AbReport = {
      scenario: "ab",
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      machine: machineInfo(opts.note ?? ""),
      options: opts,
      builds: builds.map(({ topology, ...w }) => ({ ...w, topology: topology.cell })),
      ceilings,
      rounds,
      ...summariseRounds(rounds, names),
      search,
      ...(profiles ? { profiles } : {}),
      notes,
    };
    printAbSummary(report);
    const base = await writeAbReport(report, join(repoRoot, "bench", "reports"));
    console.log(`\nreport: ${base}.html (and .json)`);
  } finally {
    console.log("removing the worktrees…");
    await cleanup();
  }
}
