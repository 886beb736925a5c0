// Holds the whole routing table in memory and keeps it current: versioned deltas from the control
// plane's NATS, a full fetch at start, after a gap, after a NATS reconnect and every ~30 s as a
// safety net. When the control plane is unreachable the last table keeps serving (static
// stability), and it is persisted so a restarted router starts from it.
import { connect, type NatsConnection, StringCodec } from "nats";
import type { Logger } from "../shared/logger.ts";
import {
  applyDelta,
  emptyRoutingTable,
  ROUTING_SUBJECT,
  type RoutingTable,
  routingDeltaSchema,
} from "../shared/routing/routing-table.ts";
import { fetchRoutingTable } from "./fetch-routing-table.ts";
import { loadSnapshot, SnapshotWriter } from "./table-snapshot.ts";

export interface RoutingTableStoreOptions {
  controlPlaneUrl: string;
  controlPlaneNatsUrl: string;
  internalToken: string;
  snapshotFile: string;
  resyncIntervalMs: number;
  fetchTimeoutMs: number;
  snapshotDebounceMs: number;
}

export type TableListener = (table: RoutingTable) => void;

const codec = StringCodec();

export class RoutingTableStore {
  private current: RoutingTable = emptyRoutingTable();
  private readonly listeners = new Set<TableListener>();
  private readonly snapshot: SnapshotWriter;
  private nc: NatsConnection | undefined;
  private timer: NodeJS.Timeout | undefined;
  private fetching: Promise<void> | undefined;
  private fetchAgain = false;
  private closed = false;

  constructor(
    private readonly opts: RoutingTableStoreOptions,
    private readonly log: Logger,
  ) {
    this.snapshot = new SnapshotWriter(opts.snapshotFile, opts.snapshotDebounceMs, log);
  }

  /** The live table. Read it per request: deltas change it in place and resyncs replace it. */
  get table(): RoutingTable {
    return this.current;
  }

  /** Ready once it knows at least one version of the table (from the control plane or a snapshot). */
  get ready(): boolean {
    return this.current.version >= 1;
  }

  /** Called after every change (delta applied or table replaced); returns an unsubscribe. */
  onChange(listener: TableListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Loads the snapshot, starts NATS in the background and tries one full fetch; never fails on an absent control plane. */
  async start(): Promise<void> {
    const saved = await loadSnapshot(this.opts.snapshotFile, this.log);
    if (saved) {
      this.current = saved;
      this.log.info({ version: saved.version }, "routing table loaded from snapshot");
      this.notify();
    }
    void this.connectNats();
    await this.resync();
    this.timer = setInterval(() => void this.resync(), this.opts.resyncIntervalMs);
    this.timer.unref();
  }

  /** Fetches the full table; concurrent calls share one fetch, plus one more if asked meanwhile. */
  resync(): Promise<void> {
    if (this.fetching) {
      this.fetchAgain = true;
      return this.fetching;
    }
    this.fetching = (async () => {
      do {
        this.fetchAgain = false;
        await this.fetchOnce();
      } while (this.fetchAgain && !this.closed);
    })().finally(() => {
      this.fetching = undefined;
    });
    return this.fetching;
  }

  private async fetchOnce(): Promise<void> {
    try {
      const table = await fetchRoutingTable({
        controlPlaneUrl: this.opts.controlPlaneUrl,
        token: this.opts.internalToken,
        timeoutMs: this.opts.fetchTimeoutMs,
      });
      if (this.closed) return;
      // Deltas that arrived during the fetch may already have taken us past it.
      if (table.version <= this.current.version) return;
      this.log.info({ from: this.current.version, to: table.version }, "routing table resynced");
      this.current = table;
      this.changed();
    } catch (err) {
      // Static stability: keep serving what we have; the next resync tries again.
      this.log.warn(
        { err: (err as Error).message, version: this.current.version },
        "control plane unreachable; serving the last routing table",
      );
    }
  }

  private async connectNats(): Promise<void> {
    let nc: NatsConnection | undefined;
    let attempts = 0;
    // Our own loop for the first connection (the client's waitOnFirstConnect could not be
    // cancelled by close()); after that the client reconnects forever by itself.
    while (!nc && !this.closed) {
      try {
        nc = await connect({
          servers: this.opts.controlPlaneNatsUrl,
          name: "cellpay-router",
          maxReconnectAttempts: -1,
          reconnectTimeWait: 500,
          timeout: 2_000,
        });
      } catch (err) {
        // Once at warn, then quietly: the control plane being down is survivable, not news every second.
        const level = attempts++ === 0 ? "warn" : "debug";
        this.log[level]({ err: (err as Error).message }, "control plane NATS unreachable; retrying");
        await new Promise((resolve) => setTimeout(resolve, 1_000).unref());
      }
    }
    if (!nc) return;
    if (this.closed) {
      await nc.close();
      return;
    }
    this.nc = nc;
    nc.subscribe(ROUTING_SUBJECT, { callback: (err, msg) => (err ? undefined : this.onDelta(msg.data)) });
    // Deltas published while we were cut off are lost: resync on every reconnect.
    void (async () => {
      for await (const status of nc.status()) {
        if (status.type === "reconnect") void this.resync();
        if (status.type === "disconnect") this.log.warn("control plane NATS disconnected; reconnecting");
      }
    })();
    // The first connection may have come after start's fetch: catch up with what we missed.
    void this.resync();
  }

  private onDelta(data: Uint8Array): void {
    let raw: unknown;
    try {
      raw = JSON.parse(codec.decode(data));
    } catch {
      this.log.warn("routing delta is not JSON; ignored");
      return;
    }
    const parsed = routingDeltaSchema.safeParse(raw);
    if (!parsed.success) {
      this.log.warn({ issues: parsed.error.issues.slice(0, 3) }, "routing delta is invalid; ignored");
      return;
    }
    const outcome = applyDelta(this.current, parsed.data);
    if (outcome === "applied") {
      this.log.debug({ version: this.current.version }, "routing delta applied");
      this.changed();
    } else if (outcome === "gap") {
      this.log.info(
        { have: this.current.version, got: parsed.data.version },
        "routing version gap; resyncing",
      );
      void this.resync();
    }
  }

  private changed(): void {
    this.snapshot.schedule(this.current);
    this.notify();
  }

  private notify(): void {
    for (const listener of this.listeners) {
      try {
        listener(this.current);
      } catch (err) {
        this.log.error({ err }, "routing table listener failed");
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.nc?.close().catch(() => {});
    await this.snapshot.flush();
  }
}
