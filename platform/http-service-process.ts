// Starts one of the platform's HTTP services (gateway, control plane, router) as its own process
// and waits until its health URL answers.
import type { ManagedProcess } from "./managed-process.ts";
import { startNodeProcess } from "./node-process.ts";

export function startHttpServiceProcess(opts: {
  name: string;
  /** Entry file relative to the repository root. */
  entry: string;
  port: number;
  env: Record<string, string>;
  logFile: string;
  healthPath?: string;
  timeoutMs?: number;
}): Promise<ManagedProcess> {
  const url = `http://127.0.0.1:${opts.port}${opts.healthPath ?? "/healthz"}`;
  return startNodeProcess({
    name: opts.name,
    entry: opts.entry,
    env: { PORT: String(opts.port), ...opts.env },
    logFile: opts.logFile,
    ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
    ready: {
      what: `on port ${opts.port}`,
      probe: async () => {
        const res = await fetch(url);
        if (!res.ok) throw new Error(`status ${res.status}`);
      },
    },
  });
}
