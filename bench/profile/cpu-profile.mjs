// CPU profiles of platform processes for `npm run bench` (Node refuses --cpu-prof in NODE_OPTIONS):
// BENCH_PLATFORM_NODE_OPTIONS="--import ./bench/profile/cpu-profile.mjs" BENCH_CPU_PROF_DIR=/tmp/prof
// profiles every process whose entry matches BENCH_CPU_PROF_MATCH (default: gateways and routers)
// and writes <dir>/<entry>-<pid>.cpuprofile when it exits (open it in Chrome DevTools or speedscope).
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";

const dir = process.env.BENCH_CPU_PROF_DIR ?? "/tmp";
const match = new RegExp(process.env.BENCH_CPU_PROF_MATCH ?? "gateway/main|router/main");
const entry = process.argv[1] ?? "";
if (match.test(entry)) {
  const session = new Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.setSamplingInterval", { interval: 200 });
  session.post("Profiler.start");
  const name = entry.split("/").slice(-2).join("-").replace(/\.ts$/, "");
  process.on("exit", () => {
    // An in-process inspector session answers synchronously, so this works inside "exit".
    session.post("Profiler.stop", (err, result) => {
      if (!err) writeFileSync(`${dir}/${name}-${process.pid}.cpuprofile`, JSON.stringify(result.profile));
    });
  });
}
