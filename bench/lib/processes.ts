// CPU and memory of every platform process, from /proc, grouped by role (and cell where the
// process says which). CPU of a role = the sum over its processes of utime+stime deltas.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

export type Role =
  | "router"
  | "gateway"
  | "relay"
  | "processor"
  | "control-plane"
  | "postgres"
  | "redis"
  | "nats"
  | "patroni"
  | "etcd"
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
  // A replicated cell's Postgres (replicas: 2+) runs under Patroni (Python) with its own etcd.
  if (cmdline.includes("/patroni")) return "patroni";
  if (/(^|\/)etcd\0/.test(cmdline)) return "etcd";
  return undefined;
}

function scopeOf(
  role: Role,
  cmdline: string,
  ppid: number,
  cellId: string | undefined,
  portScope: Map<number, string>,
): string {
  const port = /(?:-p|--port)\0?\s?(\d{4,5})/.exec(cmdline)?.[1] ?? /:(\d{4,5})/.exec(cmdline)?.[1];
  if (port && portScope.has(Number(port))) return portScope.get(Number(port))!;
  if (role === "postgres") return `pg-of-${ppid}`; // a backend: resolved to its postmaster below
  if ((role === "gateway" || role === "relay" || role === "processor") && cellId) return cellId;
  return "global";
}

interface RawProc {
  pid: number;
  ppid: number;
  pgid: number;
  cpuMs: number;
  rssKb: number;
  cmdline: string;
  cellId?: string;
}

const snapshotScript = fileURLToPath(new URL("./proc-snapshot.mjs", import.meta.url));

/** Every process and the machine's busy CPU ms, read by a child process (see proc-snapshot.mjs). */
async function snapshot(): Promise<{ procs: RawProc[]; busyMs: number }> {
  const { stdout } = await execFileAsync(process.execPath, [snapshotScript], { maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout) as { procs: RawProc[]; busyMs: number };
}

/**
 * portScope: server port → cell id (or "global"), to tell each cell's servers apart. Returns the
 * platform's processes and the machine's busy CPU ms at the same moment.
 */
export async function sampleProcesses(
  pgid: number | undefined,
  portScope: Map<number, string>,
): Promise<{ procs: ProcSample[]; busyMs: number }> {
  const { procs, busyMs } = await snapshot();
  // Postgres children call setsid(), so "ours" is: in the launcher's group, or descended from it.
  const all = new Map(procs.map((p) => [p.pid, p]));
  const ours = (pid: number): boolean => {
    if (pgid === undefined || pid === process.pid) return true;
    for (let p = pid, hops = 0; p > 1 && hops < 10; hops++) {
      const info = all.get(p);
      if (!info) return false;
      if (info.pgid === pgid) return true;
      // Patroni detaches the postmaster it starts (parent 1, own session): it is known by its port.
      if (isOwnPostmaster(info.cmdline, portScope)) return true;
      p = info.ppid;
    }
    return false;
  };
  const out: ProcSample[] = [];
  const postmasters = new Map<number, string>();
  for (const info of procs) {
    if (!ours(info.pid)) continue;
    const role = info.pid === process.pid ? "bench" : classify(info.cmdline);
    if (role === undefined) continue;
    const scope = scopeOf(role, info.cmdline, info.ppid, info.cellId, portScope);
    if (role === "postgres" && !scope.startsWith("pg-of-")) postmasters.set(info.pid, scope);
    out.push({ pid: info.pid, role, scope, cpuMs: info.cpuMs, rssKb: info.rssKb });
  }
  for (const s of out) {
    if (s.scope.startsWith("pg-of-")) s.scope = postmasters.get(Number(s.scope.slice(6))) ?? "global";
  }
  return { procs: out, busyMs };
}

function isOwnPostmaster(cmdline: string, portScope: Map<number, string>): boolean {
  if (!/(^|\/)postgres\0/.test(cmdline)) return false;
  const port = /(?:^|\0)(?:-p\0|--port=)(\d{4,5})(?:\0|$)/.exec(cmdline)?.[1];
  return port !== undefined && portScope.has(Number(port));
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
