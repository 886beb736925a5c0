// The routing table on local disk, so a router restarted while the control plane is down still
// knows where every partner lives (static stability). Writes are atomic (temp file + rename: a
// crash mid-write leaves the previous snapshot whole) and debounced (a burst of deltas is one write).
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { Logger } from "../shared/logger.ts";
import { type RoutingTable, routingTableSchema } from "../shared/routing/routing-table.ts";

/** The snapshot, or undefined when there is none or it cannot be read (then we wait for the control plane). */
export async function loadSnapshot(file: string, log: Logger): Promise<RoutingTable | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT")
      log.warn({ err, file }, "routing snapshot unreadable");
    return undefined;
  }
  const parsed = routingTableSchema.safeParse(safeJson(text));
  if (!parsed.success) {
    log.warn({ file, issues: parsed.error.issues.slice(0, 3) }, "routing snapshot is invalid; ignoring it");
    return undefined;
  }
  return parsed.data;
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
  private latest: RoutingTable | undefined;

  constructor(
    private readonly file: string,
    private readonly debounceMs: number,
    private readonly log: Logger,
  ) {}

  /** Schedules a write of the table as it is when the debounce fires. */
  schedule(table: RoutingTable): void {
    this.latest = table;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.debounceMs);
    this.timer.unref();
  }

  /** Writes any pending table now; writes never overlap, so renames land in order. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const table = this.latest;
    if (!table) return this.writing;
    this.latest = undefined;
    // Serialise now: the live table keeps changing while the write is queued.
    const text = JSON.stringify(table);
    this.writing = this.writing.then(() => this.write(text));
    return this.writing;
  }

  private async write(text: string): Promise<void> {
    const temp = `${this.file}.${process.pid}.tmp`;
    try {
      await mkdir(dirname(this.file), { recursive: true });
      await writeFile(temp, text);
      await rename(temp, this.file);
    } catch (err) {
      this.log.error({ err, file: this.file }, "could not write routing snapshot");
    }
  }
}
