// Moves the transactional outbox (`events` rows with no published_at) to the cell's JetStream
// stream. Each batch is claimed with FOR UPDATE SKIP LOCKED, so several relays share the work
// without publishing the same row at the same time; the rows are marked published only after
// JetStream acknowledged every message. A relay that dies between publish and mark leaves the rows
// unpublished: the next relay publishes them again with the same Nats-Msg-Id, which the stream's
// duplicate window drops (and past the window, consumers are idempotent by event id anyway).
import { headers, type JetStreamClient, type JetStreamManager, type PubAck } from "nats";
import type { Logger } from "../../../shared/logger.ts";
import type { Sql } from "../../db/client.ts";
import { claimUnpublished, markPublished, toEnvelope } from "../../db/queries/events.ts";
import { listenForOutboxWake } from "../outbox-wake.ts";
import { ensureStreams, eventSubject } from "../streams.ts";

export interface OutboxRelayOptions {
  cellId: string;
  sql: Sql;
  js: JetStreamClient;
  jsm: JetStreamManager;
  log: Logger;
  /** Copies of each stream: the size of the cell's JetStream cluster (default 1). */
  streamReplicas?: number;
  /** Rows claimed per transaction. */
  batchSize?: number;
  /**
   * Longest sleep once the outbox is drained (a full batch loops at once). Writers wake the relay
   * after their commit (wake(), or a datagram on wakePort: outbox-wake.ts), so new events go out at
   * once; this sweep is the safety net for a lost wake-up or a writer that sends none.
   */
  idleMs?: number;
  /** UDP port (on wakeHost, default 127.0.0.1) where writers' wake-ups arrive; 0: any free port. */
  wakePort?: number;
  wakeHost?: string;
  /**
   * After a batch that did not fill up, wait this long before the next claim so that the events of
   * the next few milliseconds go out together: at a few hundred payments a second each wake-up of
   * the relay (and of every consumer after it) otherwise carries one or two events.
   */
  gatherMs?: number;
  /** Sleep after a failed batch (NATS or Postgres away). */
  errorBackoffMs?: number;
}

export class OutboxRelay {
  private readonly batchSize: number;
  private readonly idleMs: number;
  private readonly errorBackoffMs: number;
  private readonly gatherMs: number;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** A wake-up arrived since the last batch began: loop again without sleeping. */
  private notified = false;
  private unlisten: (() => Promise<void>) | undefined;
  /** The stream check in progress, if any (recreateStreams). */
  private recreating: Promise<void> | undefined;
  /** The UDP port wake-ups arrive on, once started with a wakePort. */
  wakePort: number | undefined;
  /** Totals since start, for logs and benchmarks. */
  readonly stats = { published: 0, duplicates: 0, batches: 0 };

  constructor(private readonly opts: OutboxRelayOptions) {
    this.batchSize = opts.batchSize ?? 500;
    this.idleMs = opts.idleMs ?? 1000;
    this.errorBackoffMs = opts.errorBackoffMs ?? 1000;
    this.gatherMs = opts.gatherMs ?? 0;
  }

  async start(): Promise<void> {
    if (this.running) return;
    await this.ensureStreams();
    if (this.opts.wakePort !== undefined) {
      const listening = await listenForOutboxWake(this.opts.wakePort, this.opts.wakeHost ?? "127.0.0.1", () =>
        this.notify(),
      );
      this.wakePort = listening.port;
      this.unlisten = listening.close;
    }
    this.running = true;
    this.loop = this.run();
  }

  /** Events were committed: claim them now rather than at the next sweep (an in-process writer's call). */
  notify(): void {
    this.notified = true;
    this.wake?.();
  }

  /** Finishes the batch in flight (so its rows are marked), then returns. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await this.unlisten?.().catch(() => {});
  }

  private async run(): Promise<void> {
    while (this.running) {
      let claimed = 0;
      this.notified = false;
      try {
        claimed = await this.relayBatch();
      } catch (err) {
        this.opts.log.error({ err: (err as Error).message }, "outbox batch failed; retrying");
        // Not awaited: during a stream leader election the check itself waits (its requests time
        // out until a leader answers), and the next batch should go out as soon as one is
        // elected, not when the check gives up.
        void this.recreateStreams();
        // Wake-ups say there are new events, not that NATS is back: under load they came every few
        // milliseconds and turned this pause into a tight loop of failing batches.
        await this.sleep(this.errorBackoffMs, { wakeOnNotify: false });
        continue;
      }
      if (claimed >= this.batchSize) continue;
      if (!this.notified) await this.sleep(this.idleMs);
      if (this.running && this.gatherMs > 0) await this.sleep(this.gatherMs, { wakeOnNotify: false });
    }
  }

  /**
   * After a failed batch: a NATS that came back without its store (deleted, or a new node) has no
   * streams, and a publish to a subject no stream takes fails for ever. Making them again is
   * harmless when they exist; the events lost with the store come back by a re-drive. Also
   * called on every reconnect to NATS (relay/main.ts), so the streams are back before any event.
   * One check at a time: the calls made while one runs share it.
   */
  recreateStreams(): Promise<void> {
    if (!this.running) return Promise.resolve();
    this.recreating ??= this.ensureStreams()
      .catch((err: unknown) =>
        this.opts.log.debug({ err: (err as Error).message }, "streams not checked (NATS away)"),
      )
      .finally(() => {
        this.recreating = undefined;
      });
    return this.recreating;
  }

  /** Both streams, waiting out an election or a cluster still forming (streams.ts says how long). */
  private ensureStreams(): Promise<void> {
    return ensureStreams(this.opts.jsm, this.opts.cellId, this.opts.streamReplicas ?? 1, {
      // A stopping relay does not wait for JetStream to come back.
      giveUp: () => this.loop !== undefined && !this.running,
      onRetry: (err, attempt, delayMs) =>
        this.opts.log.info(
          { err: err.message, attempt, retry_in_ms: delayMs },
          "JetStream not answering for the streams (leader election?); retrying",
        ),
    });
  }

  /** One transaction: claim, publish all concurrently, await every ack, mark. Returns rows claimed. */
  async relayBatch(): Promise<number> {
    const { sql, js, cellId } = this.opts;
    const result = await sql.begin(async (tx) => {
      const rows = await claimUnpublished(tx, this.batchSize);
      if (rows.length === 0) return { claimed: 0, duplicates: 0 };
      // Any failed publish rejects the batch: the transaction rolls back and nothing is marked.
      const acks: PubAck[] = await Promise.all(
        rows.map((row) =>
          js.publish(
            eventSubject(cellId, row.partner_id, row.type),
            JSON.stringify(toEnvelope(cellId, row)),
            { msgID: row.id, ...(row.trace_parent ? { headers: traceHeaders(row.trace_parent) } : {}) },
          ),
        ),
      );
      await markPublished(
        tx,
        rows.map((r) => r.id),
      );
      return { claimed: rows.length, duplicates: acks.filter((a) => a.duplicate).length };
    });
    if (result.claimed > 0) {
      this.stats.published += result.claimed;
      this.stats.duplicates += result.duplicates;
      this.stats.batches += 1;
      this.opts.log.debug(result, "outbox batch published");
      if (result.duplicates > 0) {
        // Expected after a crash between publish and mark; worth seeing in the logs.
        this.opts.log.info(result, "outbox batch held events JetStream had already");
      }
    }
    return result.claimed;
  }

  /** Sleeps `ms`; stop() always ends it early, a notification only when wakeOnNotify. */
  private sleep(ms: number, opts: { wakeOnNotify: boolean } = { wakeOnNotify: true }): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const running = () => this.running;
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = opts.wakeOnNotify
        ? done
        : () => {
            if (!running()) done();
          };
    });
  }
}

/** The request's W3C traceparent, carried to the consumers in a NATS header of the same name. */
function traceHeaders(traceparent: string) {
  const h = headers();
  h.set("traceparent", traceparent);
  return h;
}
