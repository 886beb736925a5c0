// The run's result as JSON and HTML under bench/reports/<timestamp>-<scenario>.{json,html}, and a
// console summary.
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import type { BenchOptions } from "./args.ts";
import type { HonoCeiling, PgCeiling } from "./ceilings.ts";
import type { ScenarioResult } from "./context.ts";
import type { RoleUsage } from "./processes.ts";
import { renderHtml } from "./report-html.ts";
import {
  errorsBy,
  isOk,
  type LatencySummary,
  perSecond,
  type Sample,
  type SecondPoint,
  summarize,
  summarizeBy,
} from "./stats.ts";

export interface BenchReport {
  scenario: string;
  startedAt: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string };
  options: BenchOptions;
  partners: { count: number; onboardingSeconds: number; byCell: Record<string, number> };
  ceilings: { hono: HonoCeiling | undefined; postgres: PgCeiling | undefined };
  summary: {
    requestsPerSecond: number;
    paymentsPerSecond: number;
    ratioToHono: number | undefined;
    ratioToPostgres: number | undefined;
    overall: LatencySummary;
    byOp: Record<string, LatencySummary>;
    byCell: Record<string, LatencySummary>;
    byPhase: Record<string, LatencySummary>;
    errors: Record<string, number>;
    perSecond: SecondPoint[];
  };
  /** Requests still unanswered 35 s after the last send (left out of the latencies). */
  abandoned: number;
  cpuByPhase: Record<string, RoleUsage[]>;
  /** How long each phase lasted, s (for per-request CPU). */
  cpuSeconds: Record<string, number>;
  result: ScenarioResult;
}

export function buildReport(input: {
  options: BenchOptions;
  startedAt: Date;
  partners: BenchReport["partners"];
  ceilings: BenchReport["ceilings"];
  samples: Sample[];
  abandoned: number;
  cpuByPhase: Record<string, RoleUsage[]>;
  cpuSeconds: Record<string, number>;
  result: ScenarioResult;
}): BenchReport {
  const measured = input.samples.filter((s) => input.result.measured.includes(s.phase));
  const span = measured.length
    ? (Math.max(...measured.map((s) => s.t)) - Math.min(...measured.map((s) => s.t))) / 1000
    : 0;
  // Over the phases' wall time when known: requests never answered must lower the rate, not the span.
  const phaseSeconds = input.result.measured.reduce((a, p) => a + (input.cpuSeconds[p] ?? 0), 0);
  const seconds = Math.max(1, Math.round(phaseSeconds > 0 ? phaseSeconds : span));
  const ok = measured.filter(isOk);
  const payments = ok.filter((s) => s.op === "pay_auto" || s.op === "pay_manual").length;
  const requestsPerSecond = Math.round(ok.length / seconds);
  const paymentsPerSecond = Math.round(payments / seconds);
  const { hono, postgres } = input.ceilings;
  const ratio = (a: number, b: number | undefined) => (b ? Math.round((a / b) * 1000) / 1000 : undefined);
  return {
    scenario: input.options.scenario,
    startedAt: input.startedAt.toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? "unknown",
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
    },
    options: input.options,
    partners: input.partners,
    ceilings: input.ceilings,
    summary: {
      requestsPerSecond,
      paymentsPerSecond,
      ratioToHono: ratio(requestsPerSecond, hono?.rps),
      ratioToPostgres: ratio(paymentsPerSecond, postgres?.insertsPerSecond),
      overall: summarize(measured),
      byOp: summarizeBy(measured, (s) => s.op),
      byCell: summarizeBy(measured, (s) => s.cell),
      byPhase: summarizeBy(input.samples, (s) => s.phase),
      errors: errorsBy(input.samples),
      perSecond: perSecond(input.samples),
    },
    abandoned: input.abandoned,
    cpuByPhase: input.cpuByPhase,
    cpuSeconds: input.cpuSeconds,
    result: input.result,
  };
}

export async function writeReport(report: BenchReport, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, "-").replace(/-\d{3}Z$/, "Z");
  const base = join(dir, `${stamp}-${report.scenario}`);
  await writeFile(`${base}.json`, `${JSON.stringify(report, null, 1)}\n`);
  await writeFile(`${base}.html`, renderHtml(report));
  return base;
}

export function printSummary(r: BenchReport): void {
  const s = r.summary;
  const row = (name: string, l: LatencySummary) =>
    console.log(
      `  ${name.padEnd(14)} n=${String(l.count).padStart(7)} ok=${String(l.ok).padStart(7)}  p50 ${l.p50} p90 ${l.p90} p99 ${l.p99} p99.9 ${l.p999} max ${l.max} ms`,
    );
  console.log(`\n${r.scenario}: ${s.requestsPerSecond} requests/s ok, ${s.paymentsPerSecond} payments/s`);
  row("all", s.overall);
  for (const [k, v] of Object.entries(s.byOp)) row(k, v);
  for (const [k, v] of Object.entries(s.byCell)) row(k, v);
  console.log(`  errors: ${JSON.stringify(s.errors)}; unanswered at the end: ${r.abandoned}`);
  if (r.ceilings.hono) console.log(`  bare Hono: ${r.ceilings.hono.rps} req/s → ratio ${s.ratioToHono}`);
  if (r.ceilings.postgres)
    console.log(
      `  Postgres 1-row commits: ${r.ceilings.postgres.insertsPerSecond}/s → payments ratio ${s.ratioToPostgres}`,
    );
  for (const [phase, usage] of Object.entries(r.cpuByPhase)) {
    const top = usage.filter((u) => u.cores >= 0.01).map((u) => `${u.role}/${u.scope} ${u.cores.toFixed(2)}`);
    console.log(`  CPU cores in ${phase}: ${top.join(", ")}`);
  }
  for (const [phase, ms] of Object.entries(cpuMsPerRequest(r))) {
    const parts = Object.entries(ms).map(([role, v]) => `${role} ${v}`);
    console.log(`  CPU ms per ok request in ${phase}: ${parts.join(", ")}`);
  }
  for (const c of r.result.checks) console.log(`  ${c.pass ? "PASS" : "FAIL"} ${c.name}: ${c.detail}`);
  for (const n of r.result.notes) console.log(`  note: ${n}`);
}

/** CPU time per successful request, by role (all cells together), for each phase with samples. */
export function cpuMsPerRequest(r: BenchReport): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const [phase, usage] of Object.entries(r.cpuByPhase)) {
    const okPerSecond = r.summary.perSecond.length ? phaseOkRate(r, phase) : 0;
    if (!okPerSecond) continue;
    const byRole: Record<string, number> = {};
    for (const u of usage) {
      if (u.role === "outside") continue;
      byRole[u.role] = (byRole[u.role] ?? 0) + (u.cores * 1000) / okPerSecond;
    }
    const total = Object.values(byRole).reduce((a, b) => a + b, 0);
    out[phase] = Object.fromEntries(
      [...Object.entries(byRole), ["total", total] as const]
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => [k, Math.round(v * 100) / 100]),
    );
  }
  return out;
}

function phaseOkRate(r: BenchReport, phase: string): number {
  const s = r.summary.byPhase[phase];
  if (!s) return 0;
  const seconds = Math.max(1, r.cpuSeconds[phase] ?? 1);
  return s.ok / seconds;
}
