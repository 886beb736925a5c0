// Starts one of the platform's Node entry points (gateway, router, control plane, relay,
// processor) as its own process, the same entry point production runs, and waits until `probe`
// says it is ready; a process that exits or never gets ready is stopped and reported.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ManagedProcess } from "./managed-process.ts";
import { waitFor } from "./wait-for.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

export async function startNodeProcess(opts: {
  name: string;
  /** Entry file relative to the repository root. */
  entry: string;
  env: Record<string, string>;
  logFile: string;
  /** Scheduling niceness (0–19): lower priority for work off the partners' request path. */
  niceness?: number;
  /** What readiness is, for the error message, and how to tell (throw = not yet). */
  ready: { what: string; probe: () => Promise<unknown> };
  timeoutMs?: number;
}): Promise<ManagedProcess> {
  const proc = await ManagedProcess.start({
    name: opts.name,
    // `nice` execs node in place (same pid), so signals and the process group are unchanged.
    command: opts.niceness ? "nice" : process.execPath,
    args: [
      ...(opts.niceness ? ["-n", String(opts.niceness), process.execPath] : []),
      "--import",
      "tsx",
      join(root, opts.entry),
    ],
    cwd: root,
    logFile: opts.logFile,
    stopSignal: "SIGTERM",
    env: { ...process.env, ...opts.env },
    onUnexpectedExit: (p, info) =>
      console.error(
        `${p.name} (pid ${p.pid}) exited unexpectedly (${info.signal ?? info.code}); see ${p.logFile}`,
      ),
  });
  try {
    await waitFor(opts.ready.probe, {
      what: `${proc.name} ${opts.ready.what}`,
      // A heavily shared machine (a load average of 20 on 2 cores) may need longer to start tsx.
      timeoutMs: opts.timeoutMs ?? Number(process.env.CELLPAY_READY_TIMEOUT_MS ?? 30_000),
      logFile: opts.logFile,
      giveUpIf: () => (proc.running ? undefined : "the process exited"),
    });
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return proc;
}
