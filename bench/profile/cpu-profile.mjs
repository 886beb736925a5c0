// CPU profiles of platform processes for `npm run bench` (Node refuses --cpu-prof in NODE_OPTIONS):
// BENCH_PLATFORM_NODE_OPTIONS="--import ./bench/profile/cpu-profile.mjs" BENCH_CPU_PROF_DIR=/tmp/prof
// profiles every process whose entry matches BENCH_CPU_PROF_MATCH (default: gateways and routers)
// and writes <dir>/<entry>-<pid>.cpuprofile (open it in Chrome DevTools or speedscope).
// BENCH_CPU_PROF_MODE=exit (default) profiles the whole life of the process and writes at exit;
// BENCH_CPU_PROF_MODE=signal profiles only between two SIGUSR2s (the bench's hottest phase).
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";

const dir = process.env.BENCH_CPU_PROF_DIR ?? "/tmp";
const match = new RegExp(process.env.BENCH_CPU_PROF_MATCH ?? "gateway/main|router/main");
const bySignal = process.env.BENCH_CPU_PROF_MODE === "signal";
const entry = process.argv[1] ?? "";
if (match.test(entry)) {
  const session = new Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.setSamplingInterval", { interval: 200 });
  const name = entry.split("/").slice(-2).join("-").replace(/\.ts$/, "");
  let running = false;
  const start = () => {
    session.post("Profiler.start");
    running = true;
  };
  // An in-process inspector session answers synchronously, so this also works inside "exit".
  const stopAndWrite = () => {
    if (!running) return;
    running = false;
    session.post("Profiler.stop", (err, result) => {
      if (!err) writeFileSync(`${dir}/${name}-${process.pid}.cpuprofile`, JSON.stringify(result.profile));
    });
  };
  if (bySignal) process.on("SIGUSR2", () => (running ? stopAndWrite() : start()));
  else {
    start();
    process.on("exit", stopAndWrite);
  }
}
