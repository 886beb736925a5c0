// CPU and memory of every platform process, from /proc, grouped by role (and cell where the
// process says which). CPU of a role = the sum over its processes of utime+stime deltas.
import { readdir, readFile } from "node:fs/promises";

export type Role =
  | "router"
  | "gateway"
  | "relay"
  | "processor"
  | "control-plane"
  | "postgres"
  | "redis"
  | "nats"
  | "launcher"
  | "bench"
  | "outside";

export interface ProcSample {
  pid: number;
  role: Role;
  /** The cell, or "global" for control-plane/router pieces. */
  scope: string;
  cpuMs: number;
  rssKb: number;
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

function classify(cmdline: string): Role | undefined {
  if (cmdline.includes("bench/")) return "bench";
  if (cmdline.includes("cell/gateway/main.ts")) return "gateway";
  if (cmdline.includes("router/main.ts")) return "router";
  if (cmdline.includes("events/relay/main.ts")) return "relay";
  if (cmdline.includes("events/processors/main.ts")) return "processor";
  if (cmdline.includes("control-plane/main.ts")) return "control-plane";
  if (cmdline.includes("platform/start.ts")) return "launcher";
  if (/(^|\/)postgres(\0| |:)/.test(cmdline) || cmdline.startsWith("postgres:")) return "postgres";
  if (cmdline.includes("redis-server")) return "redis";
  if (cmdline.includes("nats-server")) return "nats";
  return undefined;
}

async function scopeOf(
  pid: number,
  role: Role,
  cmdline: string,
  ppid: number,
  portScope: Map<number, string>,
) {
  const port = /(?:-p|--port)\0?\s?(\d{4,5})/.exec(cmdline)?.[1] ?? /:(\d{4,5})/.exec(cmdline)?.[1];
  if (port && portScope.has(Number(port))) return portScope.get(Number(port))!;
  if (role === "postgres") return `pg-of-${ppid}`; // a backend: resolved to its postmaster below
  if (role === "gateway" || role === "relay" || role === "processor") {
    const env = await readFile(`/proc/${pid}/environ`, "utf8").catch(() => "");
    const cell = /(?:^|\0)CELLPAY_CELL_ID=([^\0]+)/.exec(env)?.[1];
    if (cell) return cell;
  }
  return "global";
}

/** portScope: server port → cell id (or "global"), to tell each cell's servers apart. */
export async function sampleProcesses(pgid: number | undefined, portScope: Map<number, string>) {
  // Postgres children call setsid(), so "ours" is: in the launcher's group, or descended from it.
  const all = new Map<number, { ppid: number; pgid: number; cpuMs: number }>();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      all.set(Number(entry), {
        ppid: Number(f[1]),
        pgid: Number(f[2]),
        cpuMs: (Number(f[11]) + Number(f[12])) * TICK_MS,
      });
    } catch {
      // exited while we looked
    }
  }
  const ours = (pid: number): boolean => {
    if (pgid === undefined || pid === process.pid) return true;
    for (let p = pid, hops = 0; p > 1 && hops < 10; hops++) {
      const info = all.get(p);
      if (!info) return false;
      if (info.pgid === pgid) return true;
      p = info.ppid;
    }
    return false;
  };
  const out: ProcSample[] = [];
  const postmasters = new Map<number, string>();
  for (const [pid, info] of all) {
    if (!ours(pid)) continue;
    try {
      const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8");
      const role = pid === process.pid ? "bench" : classify(cmdline);
      if (role === undefined) continue;
      const status = await readFile(`/proc/${pid}/status`, "utf8");
      const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      const scope = await scopeOf(pid, role, cmdline, info.ppid, portScope);
      if (role === "postgres" && !scope.startsWith("pg-of-")) postmasters.set(pid, scope);
      out.push({ pid, role, scope, cpuMs: info.cpuMs, rssKb });
    } catch {
      // exited while we looked
    }
  }
  for (const s of out) {
    if (s.scope.startsWith("pg-of-")) s.scope = postmasters.get(Number(s.scope.slice(6))) ?? "global";
  }
  return out;
}

export interface RoleUsage {
  role: Role;
  scope: string;
  processes: number;
  /** Cores used on average over the window (1.0 = one core busy). */
  cores: number;
  rssMb: number;
}

/** Per role and scope, CPU used between two samples (pids seen in both) and memory at the end. */
export function usageBetween(before: ProcSample[], after: ProcSample[], seconds: number): RoleUsage[] {
  const prev = new Map(before.map((s) => [s.pid, s.cpuMs]));
  const groups = new Map<string, RoleUsage>();
  for (const s of after) {
    const key = `${s.role}\0${s.scope}`;
    const g = groups.get(key) ?? { role: s.role, scope: s.scope, processes: 0, cores: 0, rssMb: 0 };
    g.processes++;
    g.cores += (s.cpuMs - (prev.get(s.pid) ?? 0)) / 1000 / seconds;
    g.rssMb += s.rssKb / 1024;
    groups.set(key, g);
  }
  return [...groups.values()].sort((a, b) => b.cores - a.cores);
}

/** Busy CPU ms of the whole machine (all cores), from /proc/stat. */
export async function machineBusyMs(): Promise<number> {
  const line = (await readFile("/proc/stat", "utf8")).split("\n")[0]!;
  const [user, nice, system, , , irq, softirq, steal] = line.split(/\s+/).slice(1).map(Number);
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) * TICK_MS;
}

/** Adds a row for the CPU that processes outside the platform and the bench used (a noisy machine). */
export function withOutside(usage: RoleUsage[], machineCores: number): RoleUsage[] {
  const ours = usage.reduce((a, u) => a + u.cores, 0);
  const outside = {
    role: "outside" as const,
    scope: "machine",
    processes: 0,
    cores: Math.max(0, machineCores - ours),
    rssMb: 0,
  };
  return [...usage, outside].sort((a, b) => b.cores - a.cores);
}
