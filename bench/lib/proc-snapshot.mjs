// Prints, as JSON, what /proc says of every process (and the machine's busy CPU time). Run as its
// own process by processes.ts, so that reading a few hundred /proc files never stalls the load
// generator's event loop: a stall there would delay sends and show up as platform latency.
import { readdirSync, readFileSync } from "node:fs";

const TICK_MS = 10; // USER_HZ is 100 on Linux
const procs = [];
for (const entry of readdirSync("/proc")) {
  if (!/^\d+$/.test(entry)) continue;
  try {
    const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
    const status = readFileSync(`/proc/${entry}/status`, "utf8");
    let cellId;
    if (cmdline.includes("/main.ts")) {
      const env = readFileSync(`/proc/${entry}/environ`, "utf8");
      cellId = /(?:^|\0)CELLPAY_CELL_ID=([^\0]+)/.exec(env)?.[1];
    }
    procs.push({
      pid: Number(entry),
      ppid: Number(f[1]),
      pgid: Number(f[2]),
      cpuMs: (Number(f[11]) + Number(f[12])) * TICK_MS,
      rssKb: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0),
      cmdline,
      cellId,
    });
  } catch {
    // exited while we looked
  }
}
const line = readFileSync("/proc/stat", "utf8").split("\n")[0];
const [user, nice, system, , , irq, softirq, steal] = line.split(/\s+/).slice(1).map(Number);
const busyMs = (user + nice + system + irq + softirq + steal) * TICK_MS;
process.stdout.write(JSON.stringify({ procs, busyMs }));
