// Starts one of the platform's HTTP services (gateway, control plane, router) as its own Node
// process, the same entry point production runs, and waits until its health URL answers.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ManagedProcess } from "./managed-process.ts";
import { waitFor } from "./wait-for.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

export async function startHttpServiceProcess(opts: {
  name: string;
  /** Entry file relative to the repository root. */
  entry: string;
  port: number;
  env: Record<string, string>;
  logFile: string;
  healthPath?: string;
  timeoutMs?: number;
}): Promise<ManagedProcess> {
  const proc = await ManagedProcess.start({
    name: opts.name,
    command: process.execPath,
    args: ["--import", "tsx", join(root, opts.entry)],
    cwd: root,
    logFile: opts.logFile,
    stopSignal: "SIGTERM",
    env: { ...process.env, PORT: String(opts.port), ...opts.env },
    onUnexpectedExit: (p, info) =>
      console.error(
        `${p.name} (pid ${p.pid}) exited unexpectedly (${info.signal ?? info.code}); see ${p.logFile}`,
      ),
  });
  const url = `http://127.0.0.1:${opts.port}${opts.healthPath ?? "/healthz"}`;
  try {
    await waitFor(
      async () => {
        const res = await fetch(url);
        if (!res.ok) throw new Error(`status ${res.status}`);
        return true;
      },
      {
        what: `${proc.name} on port ${opts.port}`,
        timeoutMs: opts.timeoutMs ?? 30_000,
        logFile: opts.logFile,
        giveUpIf: () => (proc.running ? undefined : "the process exited"),
      },
    );
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return proc;
}
