// `npm run bench -- --scenario ha-cost [--duration s]`: the cost of the synchronous standby. The
// same closed-loop payment load (16 clients) against a cell with one Postgres and a cell with a
// Patroni primary + synchronous standby, alternating (single, sync, single, sync) in the same run,
// so neither always meets a warmer or busier machine. Reports payments/s, latency, and CPU per
// payment of the gateway plus everything on the database side (backends, Patroni, etcd).
import { cpus } from "node:os";
import { type BenchCell, cellCpuSeconds, pay, percentile, type Sent, startBenchCell } from "./ha-cell.ts";
import type { HaReport } from "./ha-report.ts";

interface Round {
  label: string;
  payments_per_s: number;
  p50_ms: number;
  p99_ms: number;
  cpu_ms_per_payment: number;
  not_201: number;
}

async function closedLoop(cell: BenchCell, label: string, seconds: number): Promise<Round> {
  const results: Sent[] = [];
  const cpuBefore = await cellCpuSeconds(cell);
  const until = performance.now() + seconds * 1000;
  let n = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (performance.now() < until) results.push(await pay(cell, `${label}-${n++}`));
    }),
  );
  const ok = results.filter((r) => r.status === 201);
  const cpuMs = ((await cellCpuSeconds(cell)) - cpuBefore) * 1000;
  const ms = ok.map((r) => r.ms);
  return {
    label,
    payments_per_s: Number((ok.length / seconds).toFixed(1)),
    p50_ms: Math.round(percentile(ms, 50)),
    p99_ms: Math.round(percentile(ms, 99)),
    cpu_ms_per_payment: Number((cpuMs / Math.max(1, ok.length)).toFixed(2)),
    not_201: results.length - ok.length,
  };
}

export async function runHaCost(opts: { durationSeconds: number }): Promise<Omit<HaReport, "startedAt">> {
  const single = await startBenchCell("cell-single", 1);
  const replicated = await startBenchCell("cell-ha", 2).catch(async (err) => {
    await single.stop();
    throw err;
  });
  try {
    const rounds: Round[] = [];
    for (const pass of [1, 2]) {
      rounds.push(await closedLoop(single, `single-${pass}`, opts.durationSeconds));
      rounds.push(await closedLoop(replicated, `sync-standby-${pass}`, opts.durationSeconds));
    }
    const mean = (prefix: string, f: (r: Round) => number) => {
      const xs = rounds.filter((r) => r.label.startsWith(prefix)).map(f);
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    };
    const tpsRatio = mean("sync", (r) => r.payments_per_s) / mean("single", (r) => r.payments_per_s);
    const cpuRatio = mean("sync", (r) => r.cpu_ms_per_payment) / mean("single", (r) => r.cpu_ms_per_payment);
    const lines = [
      `closed loop, 16 clients, ${opts.durationSeconds} s per round, alternating:`,
      ...rounds.map(
        (r) =>
          `${r.label.padEnd(16)} ${String(r.payments_per_s).padStart(7)} payments/s  p50 ${r.p50_ms} ms  p99 ${r.p99_ms} ms  cpu ${r.cpu_ms_per_payment} ms/payment  (${r.not_201} not 201)`,
      ),
      `sync standby / single: throughput x${tpsRatio.toFixed(2)}, CPU per payment x${cpuRatio.toFixed(2)}`,
    ];
    for (const line of lines) console.log(`  ${line}`);
    return {
      scenario: "ha-cost",
      machine: { cpus: cpus().length },
      lines,
      figures: {
        rounds,
        throughput_ratio: Number(tpsRatio.toFixed(3)),
        cpu_per_payment_ratio: Number(cpuRatio.toFixed(3)),
      },
      checks: [
        {
          name: "every payment 201",
          pass: rounds.every((r) => r.not_201 === 0),
          detail: rounds.map((r) => r.not_201).join(","),
        },
      ],
    };
  } finally {
    await single.stop();
    await replicated.stop();
  }
}
