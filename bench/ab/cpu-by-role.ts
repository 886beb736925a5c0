// CPU per payment by process role over one measured window, from /proc (bench/lib/processes.ts):
// every process of the build's launcher group (and what descends from it, e.g. Postgres), the
// bench process itself, and what the rest of the machine used (other engineers on a shared box).
import { type ProcSample, sampleProcesses } from "../lib/processes.ts";

/** The columns of the A/B table, in order. "other" = control plane, launcher, Patroni, etcd. */
export const cpuColumns = [
  "router",
  "gateway",
  "relay",
  "processor",
  "postgres",
  "nats",
  "redis",
  "other",
  "bench",
  "platform",
  "machine",
] as const;
export type CpuColumn = (typeof cpuColumns)[number];

const columnOf: Record<string, CpuColumn> = {
  router: "router",
  gateway: "gateway",
  relay: "relay",
  processor: "processor",
  postgres: "postgres",
  nats: "nats",
  redis: "redis",
  bench: "bench",
};

export interface CpuMark {
  at: number;
  procs: ProcSample[];
  busyMs: number;
}

export async function markCpu(pgid: number, portScope: Map<number, string>): Promise<CpuMark> {
  const { procs, busyMs } = await sampleProcesses(pgid, portScope);
  return { at: performance.now(), procs, busyMs };
}

export interface CpuWindow {
  seconds: number;
  /** CPU ms per payment by column; `platform` = every platform process (bench excluded). */
  msPerPayment: Record<CpuColumn, number>;
  /** Cores used on average, same columns: "machine" is everything outside the platform and bench. */
  cores: Record<CpuColumn, number>;
  /** Process count per role at the end (a build's shape: e.g. how many Postgres backends). */
  processes: Record<string, number>;
}

export function cpuBetween(a: CpuMark, b: CpuMark, payments: number): CpuWindow {
  const seconds = (b.at - a.at) / 1000;
  const before = new Map(a.procs.map((p) => [p.pid, p.cpuMs]));
  const ms = Object.fromEntries(cpuColumns.map((c) => [c, 0])) as Record<CpuColumn, number>;
  const processes: Record<string, number> = {};
  for (const p of b.procs) {
    const used = p.cpuMs - (before.get(p.pid) ?? 0);
    const col = columnOf[p.role] ?? "other";
    ms[col] += used;
    if (col !== "bench") ms.platform += used;
    processes[p.role] = (processes[p.role] ?? 0) + 1;
  }
  const ours = ms.platform + ms.bench;
  ms.machine = Math.max(0, b.busyMs - a.busyMs - ours);
  const per = (v: number) => (payments > 0 ? Math.round((v / payments) * 1000) / 1000 : Number.NaN);
  const cores = (v: number) => Math.round((v / 1000 / seconds) * 1000) / 1000;
  return {
    seconds: Math.round(seconds * 100) / 100,
    msPerPayment: Object.fromEntries(cpuColumns.map((c) => [c, per(ms[c])])) as Record<CpuColumn, number>,
    cores: Object.fromEntries(cpuColumns.map((c) => [c, cores(ms[c])])) as Record<CpuColumn, number>,
    processes,
  };
}
