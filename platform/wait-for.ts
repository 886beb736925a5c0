// Polls until a server answers, failing with an error that says what was awaited and
// shows the end of the server's log, because "timeout" alone never explains a failed start.
import { open } from "node:fs/promises";

export interface WaitForOptions {
  /** What we are waiting for, e.g. "postgres on 127.0.0.1:54012 (cell-a)". */
  what: string;
  timeoutMs?: number;
  intervalMs?: number;
  /** Log file whose tail goes into the error message. */
  logFile?: string;
  /** Returns a reason to stop waiting early (e.g. the process already exited), or undefined. */
  giveUpIf?: () => string | undefined;
}

/** Calls `probe` until it resolves; a throw means "not yet". Returns the probe's value. */
export async function waitFor<T>(probe: () => Promise<T>, opts: WaitForOptions): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const intervalMs = opts.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    const reason = opts.giveUpIf?.();
    if (reason !== undefined) throw await waitError(`${opts.what}: ${reason}`, lastError, opts.logFile);
    try {
      return await probe();
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      throw await waitError(
        `timed out after ${timeoutMs} ms waiting for ${opts.what}`,
        lastError,
        opts.logFile,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

async function waitError(headline: string, lastError: unknown, logFile: string | undefined): Promise<Error> {
  const parts = [headline];
  if (lastError !== undefined) parts.push(`last probe error: ${errorText(lastError)}`);
  if (logFile !== undefined) parts.push(`--- tail of ${logFile} ---\n${await readLogTail(logFile)}`);
  return new Error(parts.join("\n"), { cause: lastError });
}

function errorText(err: unknown): string {
  if (err instanceof AggregateError) return err.errors.map(errorText).join("; ") || err.message;
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

/** Last `lines` lines of a log file (reads at most the final 16 KiB); never throws. */
export async function readLogTail(path: string, lines = 30): Promise<string> {
  try {
    const file = await open(path, "r");
    try {
      const { size } = await file.stat();
      const length = Math.min(size, 16 * 1024);
      const buffer = Buffer.alloc(length);
      await file.read(buffer, 0, length, size - length);
      const text = buffer.toString("utf8").trimEnd();
      return text === "" ? "(log is empty)" : text.split("\n").slice(-lines).join("\n");
    } finally {
      await file.close();
    }
  } catch (err) {
    return `(could not read log: ${errorText(err)})`;
  }
}
