// What every scenario gets: the platform, its partners, the load generator, and `tick`, which
// prints the progress line and samples CPU per phase once a second.
import type { AdminClient } from "./admin.ts";
import type { BenchOptions } from "./args.ts";
import type { LoadGenerator } from "./load.ts";
import type { Platform } from "./platform.ts";
import { type ProcSample, type RoleUsage, sampleProcesses, usageBetween, withOutside } from "./processes.ts";
import { isOk, percentile } from "./stats.ts";
import type { BenchPartner, Workload } from "./workload.ts";
import type { Zipf } from "./zipf.ts";

export interface Check {
  name: string;
  pass: boolean;
  detail: string;
}

export interface ScenarioResult {
  /** Phases whose samples make the headline numbers (warm-up and the like excluded). */
  measured: string[];
  checks: Check[];
  notes: string[];
  extra: Record<string, unknown>;
}

export interface BenchContext {
  opts: BenchOptions;
  platform: Platform;
  admin: AdminClient;
  partners: BenchPartner[];
  zipf: Zipf;
  workload: Workload;
  gen: LoadGenerator;
  random: () => number;
  /** A partner by Zipf share, optionally only among those `accept` lets through. */
  pickPartner(accept?: (p: BenchPartner) => boolean): BenchPartner;
  tick(t: number, phase: string, rate: number): Promise<void>;
  /** CPU by role and cell for each phase that lasted at least a few seconds. */
  cpuByPhase: Record<string, RoleUsage[]>;
  portScope: Map<number, string>;
}

export function createTicker(ctx: Omit<BenchContext, "tick" | "pickPartner" | "cpuByPhase">) {
  const cpuByPhase: Record<string, RoleUsage[]> = {};
  const cpuSeconds: Record<string, number> = {};
  let phaseStart: { phase: string; at: number; procs: ProcSample[]; busy: number } | undefined;
  const tty = process.stdout.isTTY;
  const tick = async (t: number, phase: string, rate: number) => {
    if (phaseStart?.phase !== phase) {
      const { procs, busyMs: busy } = await sampleProcesses(ctx.platform.pgid, ctx.portScope);
      const now = performance.now();
      if (phaseStart && now - phaseStart.at > 3000) {
        const secs = (now - phaseStart.at) / 1000;
        const usage = usageBetween(phaseStart.procs, procs, secs);
        cpuSeconds[phaseStart.phase] = secs;
        cpuByPhase[phaseStart.phase] = withOutside(usage, (busy - phaseStart.busy) / 1000 / secs);
      }
      phaseStart = { phase, at: now, procs, busy };
    }
    if (phase === "\0end") return;
    const w = ctx.gen.takeWindow();
    const lat = Float64Array.from(w, (s) => s.latency).sort();
    const errors = w.length - w.filter(isOk).length;
    const line = `  t=${String(t).padStart(4)}s ${phase.padEnd(10)} target ${rate.toFixed(0).padStart(5)}/s  done ${String(w.length).padStart(5)}/s  in flight ${String(ctx.gen.inFlight).padStart(5)}  p99 ${percentile(lat, 99).toFixed(1).padStart(7)} ms  errors ${errors}`;
    if (tty) process.stdout.write(`\r${line}`);
    else if (t % 5 === 0) console.log(line);
  };
  /** Call after the run: closes the last phase. */
  const finish = async () => {
    await tick(-1, "\0end", 0);
    if (tty) process.stdout.write("\n");
  };
  return { tick, finish, cpuByPhase, cpuSeconds };
}
