// Starts a cell worker (outbox relay, core processor…) as its own Node process, the entry point
// production runs. Workers answer no HTTP, so "started" means: the process wrote a log line
// whose msg is "ready" (pino: `"msg":"ready"`) to its log file after this start. The log file
// is appended to across restarts, so only what is written after the spawn counts. The relay and
// processor mains write that line at info whatever LOG_LEVEL says.
import { open, stat } from "node:fs/promises";
import type { ManagedProcess } from "./managed-process.ts";
import { startNodeProcess } from "./node-process.ts";

const READY = '"msg":"ready"';

export interface WorkerProcessOptions {
  /** Process name in logs, e.g. "cell-a-relay-0". */
  name: string;
  /** Entry file relative to the repository root, e.g. "cell/events/relay/main.ts". */
  entry: string;
  /** Added to this process's environment (CELLPAY_CELL_ID, DATABASE_URL, NATS_URL…). */
  env: Record<string, string>;
  logFile: string;
  readyTimeoutMs?: number;
  /** Scheduling niceness, see node-process.ts. */
  niceness?: number;
}

export async function startWorkerProcess(opts: WorkerProcessOptions): Promise<ManagedProcess> {
  const offset = await stat(opts.logFile).then(
    (s) => s.size,
    () => 0,
  );
  return startNodeProcess({
    name: opts.name,
    entry: opts.entry,
    env: opts.env,
    logFile: opts.logFile,
    ...(opts.niceness === undefined ? {} : { niceness: opts.niceness }),
    ...(opts.readyTimeoutMs === undefined ? {} : { timeoutMs: opts.readyTimeoutMs }),
    ready: {
      what: 'to log "ready"',
      probe: async () => {
        if (!(await logSince(opts.logFile, offset)).includes(READY)) throw new Error("not ready yet");
      },
    },
  });
}

/** Up to 64 KiB of the log written since `offset` (a worker logs "ready" early). */
async function logSince(logFile: string, offset: number): Promise<string> {
  const file = await open(logFile, "r");
  try {
    const buffer = Buffer.alloc(64 * 1024);
    const { bytesRead } = await file.read(buffer, 0, buffer.length, offset);
    return buffer.subarray(0, bytesRead).toString("utf8");
  } finally {
    await file.close();
  }
}
