// JetStream layout of a cell: one stream of events, one of dead letters. Subjects carry the cell,
// the partner and the event type, so a consumer can filter on any of them:
//   cell.<cell id>.events.<partner id>.<event type>     e.g. cell.cell-a.events.ptr_….payment.captured
//   cell.<cell id>.dead.<consumer>                      poison messages, with the reason in headers
import { type JetStreamManager, RetentionPolicy, StorageType } from "nats";
import { eventRetention } from "./event-retention.ts";

export const eventsStream = (cellId: string) => `CELL_${cellId.toUpperCase().replace(/-/g, "_")}_EVENTS`;
export const deadLetterStream = (cellId: string) => `CELL_${cellId.toUpperCase().replace(/-/g, "_")}_DEAD`;
export const eventSubject = (cellId: string, partnerId: string, type: string) =>
  `cell.${cellId}.events.${partnerId}.${type}`;
export const deadLetterSubject = (cellId: string, consumer: string) => `cell.${cellId}.dead.${consumer}`;

const DAY_NS = 24 * 60 * 60 * 1e9;

/** How long the events stream keeps a message; the outbox's retention is bound below by it. */
export const EVENTS_STREAM_MAX_AGE_MS = eventRetention.streamMaxAgeDays * 24 * 60 * 60 * 1000;

/**
 * Creates (or updates) both streams; safe to call from every process at start. `replicas` is the
 * size of the cell's JetStream cluster (1 for one nats-server): each stream keeps that many copies.
 */
export async function ensureStreams(jsm: JetStreamManager, cellId: string, replicas = 1): Promise<void> {
  const configs = [
    {
      name: eventsStream(cellId),
      subjects: [`cell.${cellId}.events.>`],
      // The outbox keeps rows longer than this, so a re-drive can restore any message (event-retention.ts).
      max_age: eventRetention.streamMaxAgeDays * DAY_NS,
      // Publishes carry the event id as Nats-Msg-Id: a relay that republishes after a crash is deduplicated.
      duplicate_window: eventRetention.duplicateWindowMs * 1e6,
    },
    {
      name: deadLetterStream(cellId),
      subjects: [`cell.${cellId}.dead.>`],
      max_age: eventRetention.deadLetterMaxAgeDays * DAY_NS,
      duplicate_window: 60 * 1e9,
    },
  ];
  for (const config of configs) {
    const full = {
      ...config,
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      num_replicas: replicas,
    };
    try {
      await jsm.streams.info(config.name);
      await jsm.streams.update(config.name, full);
    } catch {
      await jsm.streams.add(full);
    }
  }
}

/**
 * Waits until the relay has made both streams: processors may not create or change streams (their
 * NATS user cannot), so a processor that starts first waits here instead.
 */
export async function waitForStreams(
  jsm: JetStreamManager,
  cellId: string,
  opts: { timeoutMs?: number; onWait?: () => void } = {},
): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  for (let waited = false; ; waited = true) {
    try {
      await jsm.streams.info(eventsStream(cellId));
      await jsm.streams.info(deadLetterStream(cellId));
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      if (!waited) opts.onWait?.();
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
