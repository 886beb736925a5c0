// The routing table on local disk, so a router restarted while the control plane is down still
// knows where every partner lives (static stability). What is saved is what was verified: the
// last signed table and the signed deltas applied on top of it, so loading checks every signature
// again (a snapshot file someone edited is refused whole). Writes are atomic (temp file + rename:
// a crash mid-write leaves the previous snapshot whole) and debounced (a burst of deltas is one write).
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { Logger } from "../shared/logger.ts";
import { applyDelta, type RoutingTable } from "../shared/routing/routing-table.ts";
import { RoutingRejected, type RoutingVerifier } from "./routing-verifier.ts";

/** The signed documents as received: the table, then the deltas applied to it in order. */
export interface SnapshotContent {
  table: unknown;
  deltas: unknown[];
}

export interface LoadedSnapshot {
  table: RoutingTable;
  content: SnapshotContent;
}

/**
 * The snapshot, or undefined when there is none or it cannot be trusted (then we wait for the
 * control plane). `onRejected` hears why a snapshot was refused.
 */
export async function loadSnapshot(
  file: string,
  log: Logger,
  verifier: RoutingVerifier,
  onRejected: (err: RoutingRejected) => void,
): Promise<LoadedSnapshot | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT")
      log.warn({ err, file }, "routing snapshot unreadable");
    return undefined;
  }
  const saved = safeJson(text) as Partial<SnapshotContent> | undefined;
  try {
    if (!saved || typeof saved !== "object" || !Array.isArray(saved.deltas))
      throw new RoutingRejected("invalid", "routing snapshot is not a table with its deltas");
    const table = verifier.table(saved.table).value;
    for (const raw of saved.deltas) {
      const delta = verifier.delta(raw).value;
      if (applyDelta(table, delta) !== "applied")
        throw new RoutingRejected("invalid", `routing snapshot delta ${delta.version} does not follow`);
    }
    return { table, content: { table: saved.table, deltas: saved.deltas } };
  } catch (err) {
    if (!(err instanceof RoutingRejected)) throw err;
    onRejected(err);
    log.warn({ file, reason: err.reason, err: err.message }, "routing snapshot refused; ignoring it");
    return undefined;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export class SnapshotWriter {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private latest: SnapshotContent | undefined;

  constructor(
    private readonly file: string,
    private readonly debounceMs: number,
    private readonly log: Logger,
  ) {}

  /** Schedules a write of the content as it is when the debounce fires. */
  schedule(content: SnapshotContent): void {
    this.latest = content;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.debounceMs);
    this.timer.unref();
  }

  /** Writes any pending content now; writes never overlap, so renames land in order. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const content = this.latest;
    if (!content) return this.writing;
    this.latest = undefined;
    // Serialise now: more deltas keep arriving while the write is queued.
    const text = JSON.stringify(content);
    this.writing = this.writing.then(() => this.write(text));
    return this.writing;
  }

  private async write(text: string): Promise<void> {
    const temp = `${this.file}.${process.pid}.tmp`;
    try {
      await mkdir(dirname(this.file), { recursive: true });
      await writeFile(temp, text, { mode: 0o600 });
      await rename(temp, this.file);
    } catch (err) {
      this.log.error({ err, file: this.file }, "could not write routing snapshot");
    }
  }
}
