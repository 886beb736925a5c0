// The functions with the most self time in a .cpuprofile (V8's format, as cpu-profile.mjs writes
// it): what a flame graph's widest leaves are, as a few printable lines.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  fn: string;
  where: string;
  ms: number;
  share: number;
}

/** Self time per function (by name and place), idle left out, most first. V8 samples on wall time:
 * busyMs includes time the process was runnable but descheduled, so read the shares, not the ms. */
export function topSelfTime(profile: CpuProfile, limit = 10): { busyMs: number; top: SelfTime[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, { fn: string; where: string; us: number }>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const us = profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0;
    if (!node || node.callFrame.functionName === "(idle)") return;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url
      ? `${url.replace(/^file:\/\/.*?\/(node_modules|cell|router|shared|control-plane)\//, "$1/")}:${lineNumber + 1}`
      : "";
    const key = `${functionName}\0${where}`;
    const entry = self.get(key) ?? { fn: functionName || "(anonymous)", where, us: 0 };
    entry.us += us;
    self.set(key, entry);
    busy += us;
  });
  const top = [...self.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, limit)
    .map((e) => ({
      fn: e.fn,
      where: e.where,
      ms: Math.round(e.us / 100) / 10,
      share: busy ? Math.round((e.us / busy) * 1000) / 10 : 0,
    }));
  return { busyMs: Math.round(busy / 1000), top };
}

/** Prints the top self-time functions of every .cpuprofile in `dir`; returns them by file. */
export async function printTopFunctions(dir: string, limit = 8): Promise<Record<string, SelfTime[]>> {
  const out: Record<string, SelfTime[]> = {};
  const files = (await readdir(dir).catch(() => [] as string[]))
    .filter((f) => f.endsWith(".cpuprofile"))
    .sort();
  for (const file of files) {
    const profile = JSON.parse(await readFile(join(dir, file), "utf8")) as CpuProfile;
    const { busyMs, top } = topSelfTime(profile, limit);
    out[file] = top;
    console.log(`  ${file}: ${busyMs} ms sampled busy (wall time, not idle); top self time:`);
    for (const t of top) console.log(`    ${String(t.share).padStart(5)}%  ${t.fn}  ${t.where}`);
  }
  if (files.length === 0) console.log(`  no .cpuprofile written in ${dir}`);
  return out;
}
