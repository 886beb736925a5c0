// Writes an HA scenario's report: bench/reports/<timestamp>-<scenario>.json (the figures) and .txt
// (the lines printed), next to the other scenarios' reports.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface HaReport {
  scenario: "failover" | "ha-cost";
  startedAt: Date;
  machine: { cpus: number };
  lines: string[];
  figures: Record<string, unknown>;
  checks: { name: string; pass: boolean; detail: string }[];
}

export async function writeHaReport(report: HaReport, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const base = join(
    dir,
    `${report.startedAt
      .toISOString()
      .replace(/[:]/g, "-")
      .replace(/\.\d+Z$/, "Z")}-${report.scenario}`,
  );
  await writeFile(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  const checks = report.checks.map((c) => `${c.pass ? "PASS" : "FAIL"} ${c.name}: ${c.detail}`);
  await writeFile(
    `${base}.txt`,
    `${[`${report.scenario} (${report.startedAt.toISOString()})`, ...report.lines, ...checks].join("\n")}\n`,
  );
  return base;
}
