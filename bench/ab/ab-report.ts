// The A/B's result: every round's measurements, medians and spread per build, and the ratio
// current/baseline per round (so noise that hit one round hits both builds of it), as
// bench/reports/<timestamp>-ab.{json,html} and a console table.
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import type { HonoCeiling, PgCeiling } from "../lib/ceilings.ts";
import type { BuildWorktree } from "./build-worktree.ts";
import { type CpuColumn, type CpuWindow, cpuColumns } from "./cpu-by-role.ts";
import type { AbOptions } from "./options.ts";
import type { LoadResult } from "./payment-load.ts";
import type { RateSearch } from "./rate-search.ts";

export type LoadName = "dense" | "sparse";
export const loadNames: LoadName[] = ["dense", "sparse"];

export interface Measurement {
  load: LoadResult;
  paymentsPerSecond: number;
  cpu: CpuWindow;
}

export interface BuildRound {
  round: number;
  build: string;
  /** Position in the round (0 = first): the order alternates from round to round. */
  order: number;
  startSeconds: number;
  loads: Record<LoadName, Measurement>;
  search?: RateSearch;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

export interface AbReport {
  scenario: "ab";
  startedAt: string;
  finishedAt: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; note: string };
  options: AbOptions;
  builds: (BuildWorktree & { topology: Record<string, unknown> })[];
  ceilings: { hono: HonoCeiling | undefined; postgres: PgCeiling | undefined };
  rounds: BuildRound[];
  /** Per build and load: medians (and range) over the rounds. */
  summary: Record<string, Record<LoadName, Record<string, Spread>>>;
  /** current/baseline per round, then median and range; < 1 means the current build is lower. */
  ratios: Record<LoadName, Record<string, Spread>>;
  /** Sparse CPU per payment / dense CPU per payment, per build (median of per-round ratios). */
  sparseOverDense: Record<string, Spread>;
  search: Record<string, (RateSearch & { ratioToHono?: number; ratioToPostgres?: number }) | undefined>;
  profiles?: Record<
    string,
    { dir: string; top: Record<string, { fn: string; where: string; share: number }[]> }
  >;
  notes: string[];
}

export function spread(values: number[]): Spread {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 1000) / 1000;
  if (v.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  const mid = v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
  return { median: r(mid), min: r(v[0]!), max: r(v[v.length - 1]!), n: v.length };
}

/** The figures compared per load: rate, latency, CPU ms per payment by column. */
function figures(m: Measurement): Record<string, number> {
  const out: Record<string, number> = {
    "payments/s": m.paymentsPerSecond,
    p50: m.load.p50,
    p99: m.load.p99,
    errors: m.load.sent - m.load.payments,
  };
  for (const c of cpuColumns) out[`cpu ${c}`] = m.cpu.msPerPayment[c];
  return out;
}

export function summariseRounds(
  rounds: BuildRound[],
  builds: string[],
): Pick<AbReport, "summary" | "ratios" | "sparseOverDense"> {
  const summary: AbReport["summary"] = {};
  const sparseOverDense: AbReport["sparseOverDense"] = {};
  for (const build of builds) {
    const mine = rounds.filter((r) => r.build === build);
    summary[build] = {} as Record<LoadName, Record<string, Spread>>;
    for (const load of loadNames) {
      const rows = mine.map((r) => figures(r.loads[load]));
      summary[build][load] = Object.fromEntries(
        Object.keys(rows[0] ?? {}).map((k) => [k, spread(rows.map((row) => row[k]!))]),
      );
    }
    sparseOverDense[build] = spread(
      mine.map((r) => r.loads.sparse.cpu.msPerPayment.platform / r.loads.dense.cpu.msPerPayment.platform),
    );
  }
  const ratios = {} as AbReport["ratios"];
  const [base, cur] = builds;
  for (const load of loadNames) {
    const perRound: Record<string, number[]> = {};
    for (const round of new Set(rounds.map((r) => r.round))) {
      const b = rounds.find((r) => r.round === round && r.build === base);
      const c = rounds.find((r) => r.round === round && r.build === cur);
      if (!b || !c) continue;
      const fb = figures(b.loads[load]);
      const fc = figures(c.loads[load]);
      for (const k of Object.keys(fc)) {
        if (k === "errors" || !fb[k]) continue;
        perRound[k] ??= [];
        perRound[k].push(fc[k]! / fb[k]!);
      }
    }
    ratios[load] = Object.fromEntries(Object.entries(perRound).map(([k, v]) => [k, spread(v)]));
  }
  return { summary, ratios, sparseOverDense };
}

export async function writeAbReport(report: AbReport, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, "-").replace(/-\d{3}Z$/, "Z");
  const base = join(dir, `${stamp}-ab`);
  await writeFile(`${base}.json`, `${JSON.stringify(report, null, 1)}\n`);
  await writeFile(`${base}.html`, renderAbHtml(report));
  return base;
}

export function machineInfo(note: string): AbReport["machine"] {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    note,
  };
}

const fmt = (s: Spread | undefined, digits = 2) =>
  !s || !Number.isFinite(s.median)
    ? "–"
    : s.n > 1
      ? `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`
      : s.median.toFixed(digits);

/** The console table: per load, one line per figure with both builds and the ratio. */
export function printAbSummary(r: AbReport): void {
  const [base, cur] = r.builds.map((b) => b.name) as [string, string];
  for (const load of loadNames) {
    console.log(
      `\n${load}: median over ${r.options.rounds} rounds (range); ratio = ${cur}/${base} per round`,
    );
    console.log(`  ${"figure".padEnd(16)} ${base.padEnd(24)} ${cur.padEnd(24)} ratio`);
    for (const k of Object.keys(r.summary[cur]?.[load] ?? {})) {
      const digits = k.startsWith("cpu") ? 3 : k === "payments/s" || k === "errors" ? 0 : 1;
      console.log(
        `  ${k.padEnd(16)} ${fmt(r.summary[base]?.[load][k], digits).padEnd(24)} ${fmt(r.summary[cur]?.[load][k], digits).padEnd(24)} ${fmt(r.ratios[load][k], 3)}`,
      );
    }
  }
  console.log("\nsparse/dense CPU per payment (platform):");
  for (const [b, s] of Object.entries(r.sparseOverDense)) console.log(`  ${b}: ${fmt(s)}`);
  for (const [b, s] of Object.entries(r.search)) {
    if (!s) continue;
    console.log(
      `highest open-loop rate with p99 ≤ ${s.p99Bound} ms, ${b}: ${s.bestRate}/s (p99 ${s.bestP99 ?? "–"} ms); ratio to bare Hono ${s.ratioToHono ?? "–"}, to 1-row commits ${s.ratioToPostgres ?? "–"}`,
    );
  }
  for (const n of r.notes) console.log(`note: ${n}`);
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

function renderAbHtml(r: AbReport): string {
  const [base, cur] = r.builds.map((b) => b.name) as [string, string];
  const buildRows = r.builds
    .map(
      (b) =>
        `<tr><td>${esc(b.name)}</td><td>${esc(b.ref)}</td><td><code>${b.commit.slice(0, 10)}</code></td><td>${esc(b.subject)}</td><td>${esc(b.modules)}</td><td><code>${esc(JSON.stringify(b.topology))}</code></td></tr>`,
    )
    .join("");
  const loadTables = loadNames
    .map((load) => {
      const rows = Object.keys(r.summary[cur]?.[load] ?? {})
        .map((k) => {
          const d = k.startsWith("cpu") ? 3 : k === "payments/s" || k === "errors" ? 0 : 1;
          return `<tr><td>${esc(k)}</td><td>${fmt(r.summary[base]?.[load][k], d)}</td><td>${fmt(r.summary[cur]?.[load][k], d)}</td><td><b>${fmt(r.ratios[load][k], 3)}</b></td></tr>`;
        })
        .join("");
      return `<h2>${load}</h2><table><tr><th>figure (CPU in ms per payment)</th><th>${esc(base)}</th><th>${esc(cur)}</th><th>ratio ${esc(cur)}/${esc(base)}</th></tr>${rows}</table>`;
    })
    .join("");
  const roundRows = r.rounds
    .flatMap((br) =>
      loadNames.map((load) => {
        const m = br.loads[load];
        const cpu = cpuColumns.map((c: CpuColumn) => `<td>${m.cpu.msPerPayment[c]}</td>`).join("");
        return `<tr><td>${br.round}</td><td>${esc(br.build)}</td><td>${load}</td><td>${m.paymentsPerSecond}</td><td>${m.load.p50}</td><td>${m.load.p99}</td><td>${m.load.sent - m.load.payments}</td>${cpu}</tr>`;
      }),
    )
    .join("");
  const search = Object.entries(r.search)
    .filter(([, s]) => s)
    .map(
      ([b, s]) =>
        `<tr><td>${esc(b)}</td><td>${s!.bestRate}</td><td>${s!.bestP99 ?? "–"}</td><td>${s!.ratioToHono ?? "–"}</td><td>${s!.ratioToPostgres ?? "–"}</td><td>${s!.steps.map((st) => `${st.rate}/s p99 ${st.result.p99}${st.pass ? " ✓" : " ✗"}`).join("; ")}</td></tr>`,
    )
    .join("");
  const ceilings = `bare Hono ${r.ceilings.hono?.rps ?? "–"} req/s; durable one-row commits ${r.ceilings.postgres?.insertsPerSecond ?? "–"}/s`;
  const sod = Object.entries(r.sparseOverDense)
    .map(([b, s]) => `${esc(b)} ${fmt(s)}`)
    .join("; ");
  const profiles = r.profiles
    ? Object.entries(r.profiles)
        .map(
          ([b, p]) =>
            `<h3>${esc(b)} (<code>${esc(p.dir)}</code>)</h3>${Object.entries(p.top)
              .map(
                ([f, top]) =>
                  `<p><b>${esc(f)}</b>: ${top.map((t) => `${t.share}% ${esc(t.fn)} <small>${esc(t.where)}</small>`).join(", ")}</p>`,
              )
              .join("")}`,
        )
        .join("")
    : "";
  return `<!doctype html><meta charset="utf-8"><title>cellpay A/B ${esc(r.startedAt)}</title>
<style>body{font:14px system-ui;margin:2em;max-width:1200px}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}code{font-size:12px}</style>
<h1>cellpay A/B: ${esc(cur)} vs ${esc(base)}</h1>
<p>${esc(r.startedAt)} – ${esc(r.finishedAt)}; ${r.machine.cpus} × ${esc(r.machine.cpuModel)}, ${r.machine.memoryGiB} GiB, Node ${esc(r.machine.node)}. ${esc(r.machine.note)}</p>
<p>Dense: closed loop, ${r.options.clients} clients of one partner posting card payments through the router into one cell, ${r.options.denseSeconds} s after ${r.options.warmup} s warm-up. Sparse: open loop ${r.options.sparseRate} payments/s for ${r.options.sparseSeconds} s. ${r.options.rounds} rounds, the builds' order alternating. CPU = utime+stime from /proc per process role, divided by the payments created; "platform" sums every platform process (bench excluded), "machine" is CPU used by processes outside the platform and the bench.</p>
<table><tr><th>build</th><th>ref</th><th>commit</th><th>subject</th><th>node_modules</th><th>topology (first cell)</th></tr>${buildRows}</table>
<p>Ceilings in the same run: ${ceilings}. Sparse/dense CPU per payment (platform): ${sod}.</p>
${loadTables}
<h2>Highest open-loop rate with p99 ≤ ${r.options.searchP99} ms</h2>
<table><tr><th>build</th><th>payments/s</th><th>p99 ms</th><th>ratio to bare Hono</th><th>ratio to 1-row commits</th><th>steps</th></tr>${search}</table>
<h2>Every round</h2>
<table><tr><th>round</th><th>build</th><th>load</th><th>payments/s</th><th>p50</th><th>p99</th><th>errors</th>${cpuColumns.map((c) => `<th>${c}</th>`).join("")}</tr>${roundRows}</table>
${profiles ? `<h2>CPU profiles (dense load)</h2>${profiles}` : ""}
<h2>Notes</h2><ul>${r.notes.map((n) => `<li>${esc(n)}</li>`).join("")}</ul>
`;
}
