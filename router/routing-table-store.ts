// Holds the whole routing table in memory and keeps it current: versioned deltas from the control
// plane's NATS, a full fetch at start, after a gap, after a NATS reconnect and every ~30 s as a
// safety net. When the control plane is unreachable the last table keeps serving (static
// stability), and it is persisted so a restarted router starts from it.
// Nothing is applied or saved unverified (routing-verifier.ts: signature, schema, gateway
// allow-list); a refusal is logged at warn and counted by reason. When the authenticated HTTP
// table and the deltas applied disagree at the same version, the table wins.
import { connect, type NatsConnection, StringCodec } from "nats";
import { canonicalJson } from "../shared/canonical-json.ts";
import type { Logger } from "../shared/logger.ts";
import { type NatsClientAuth, natsConnectAuth } from "../shared/nats-auth.ts";
import {
  applyDelta,
  emptyRoutingTable,
  ROUTING_SUBJECT,
  type RoutingTable,
} from "../shared/routing/routing-table.ts";
import { fetchRoutingTable } from "./fetch-routing-table.ts";
import { RoutingRejected, type RoutingRejectReason, type RoutingVerifier } from "./routing-verifier.ts";
import { loadSnapshot, type SnapshotContent, SnapshotWriter } from "./table-snapshot.ts";

export interface RoutingTableStoreOptions {
  controlPlaneUrl: string;
  controlPlaneNatsUrl: string;
  /** The router's own NATS credential (subscribe-only on the routing subjects). */
  natsAuth?: NatsClientAuth;
  verifier: RoutingVerifier;
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
  /** What `current` was built from, as signed: the last table and the deltas applied since. */
  private signed: SnapshotContent | undefined;
  /** Refused documents by reason, since start (cellpay_router_routing_rejected_total). */
  readonly rejected = new Map<RoutingRejectReason, number>();
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
    const saved = await loadSnapshot(this.opts.snapshotFile, this.log, this.opts.verifier, (err) =>
      this.count(err.reason),
    );
    if (saved) {
      this.current = saved.table;
      this.signed = saved.content;
      this.log.info({ version: saved.table.version }, "routing table loaded from snapshot");
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
      const fetched = await fetchRoutingTable({
        controlPlaneUrl: this.opts.controlPlaneUrl,
        token: this.opts.internalToken,
        timeoutMs: this.opts.fetchTimeoutMs,
        verifier: this.opts.verifier,
      });
      if (this.closed) return;
      const table = fetched.value;
      // Deltas that arrived during the fetch may already have taken us past it.
      if (table.version < this.current.version) return;
      if (table.version === this.current.version) {
        if (canonicalJson(table) === canonicalJson(this.current)) {
          // Same content: start the saved chain again from this table, so the snapshot stays short
          // (and so a first, empty table still gives later deltas a signed base to follow).
          if (!this.signed || this.signed.deltas.length > 0) this.rebase(fetched.raw, table, false);
          return;
        }
        // Deltas are only as good as NATS: the authenticated table is the truth.
        this.count("disagrees_with_table");
        this.log.warn(
          { version: table.version },
          "routing deltas disagree with the control plane's table; using the table",
        );
      } else {
        this.log.info({ from: this.current.version, to: table.version }, "routing table resynced");
      }
      this.rebase(fetched.raw, table, true);
    } catch (err) {
      if (err instanceof RoutingRejected) {
        this.refused(err, "routing table from the control plane refused; keeping the last one");
        return;
      }
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
          ...natsConnectAuth(this.opts.natsAuth),
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
      this.refused(new RoutingRejected("not_json", "routing delta is not JSON"), "routing delta refused");
      return;
    }
    let delta: ReturnType<RoutingVerifier["delta"]>["value"];
    try {
      delta = this.opts.verifier.delta(raw).value;
    } catch (err) {
      if (!(err instanceof RoutingRejected)) throw err;
      this.refused(err, "routing delta refused");
      return;
    }
    const outcome = applyDelta(this.current, delta);
    if (outcome === "applied") {
      this.log.debug({ version: this.current.version }, "routing delta applied");
      this.signed?.deltas.push(raw);
      this.changed();
    } else if (outcome === "gap") {
      this.log.info({ have: this.current.version, got: delta.version }, "routing version gap; resyncing");
      void this.resync();
    }
  }

  /** Starts again from a verified table (its raw, signed form is what the snapshot keeps). */
  private rebase(raw: unknown, table: RoutingTable, notify: boolean): void {
    this.current = table;
    this.signed = { table: raw, deltas: [] };
    if (notify) this.changed();
    else this.snapshot.schedule({ ...this.signed, deltas: [] });
  }

  private count(reason: RoutingRejectReason): void {
    this.rejected.set(reason, (this.rejected.get(reason) ?? 0) + 1);
  }

  private refused(err: RoutingRejected, msg: string): void {
    this.count(err.reason);
    this.log.warn({ reason: err.reason, err: err.message, version: this.current.version }, msg);
  }

  private changed(): void {
    if (this.signed) this.snapshot.schedule({ table: this.signed.table, deltas: [...this.signed.deltas] });
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
