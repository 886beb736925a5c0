// JetStream layout of a cell: one stream of events, one of dead letters. Subjects carry the cell,
// the partner and the event type, so a consumer can filter on any of them:
//   cell.<cell id>.events.<partner id>.<event type>     e.g. cell.cell-a.events.ptr_….payment.captured
//   cell.<cell id>.dead.<consumer>                      poison messages, with the reason in headers
import { ErrorCode, type JetStreamManager, NatsError, RetentionPolicy, StorageType } from "nats";
import { eventRetention } from "./event-retention.ts";

export const eventsStream = (cellId: string) => `CELL_${cellId.toUpperCase().replace(/-/g, "_")}_EVENTS`;
export const deadLetterStream = (cellId: string) => `CELL_${cellId.toUpperCase().replace(/-/g, "_")}_DEAD`;
export const eventSubject = (cellId: string, partnerId: string, type: string) =>
  `cell.${cellId}.events.${partnerId}.${type}`;
export const deadLetterSubject = (cellId: string, consumer: string) => `cell.${cellId}.dead.${consumer}`;

const DAY_NS = 24 * 60 * 60 * 1e9;

/** How long the events stream keeps a message; the outbox's retention is bound below by it. */
export const EVENTS_STREAM_MAX_AGE_MS = eventRetention.streamMaxAgeDays * 24 * 60 * 60 * 1000;

/** How ensureStreams waits out a JetStream that cannot answer yet (a leader election, a forming cluster). */
export interface StreamRetry {
  /** Tries per stream before the last error is thrown. */
  attempts: number;
  /** First pause; doubled after each try, up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Checked before each pause: true ends the retries with the last error. */
  giveUp?: () => boolean;
  /** Told each retry, e.g. to log it. */
  onRetry?: (err: Error, attempt: number, delayMs: number) => void;
  sleep?: (ms: number) => Promise<void>;
}

// About 16 s of pauses in all, plus the API's own timeouts: longer than a stream leader
// election (4-9 s in nats-server 2.9) or a cluster's first meta-leader election.
const defaultRetry: StreamRetry = { attempts: 8, baseDelayMs: 250, maxDelayMs: 4_000 };

/**
 * Creates (or updates) both streams; safe to call from every process at start. `replicas` is the
 * size of the cell's JetStream cluster (1 for one nats-server): each stream keeps that many copies.
 * A stream is created only when JetStream says it does not exist (10059): an info that times out
 * or finds no responders during a leader election is not "missing", and creating the stream then
 * would fail too (or, worse, race the elected leader). Such errors are retried with a bounded
 * back-off; any other error (bad config, permissions) is thrown at once.
 */
export async function ensureStreams(
  jsm: JetStreamManager,
  cellId: string,
  replicas = 1,
  retry: Partial<StreamRetry> = {},
): Promise<void> {
  const r = { ...defaultRetry, ...retry };
  const sleep = r.sleep ?? ((ms: number) => new Promise<void>((done) => setTimeout(done, ms)));
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
    for (let attempt = 1; ; attempt++) {
      try {
        if (await streamExists(jsm, config.name)) await jsm.streams.update(config.name, full);
        else await jsm.streams.add(full);
        break;
      } catch (err) {
        if (!isTransientJetStreamError(err) || attempt >= r.attempts || r.giveUp?.()) throw err;
        const delayMs = Math.min(r.maxDelayMs, r.baseDelayMs * 2 ** (attempt - 1));
        r.onRetry?.(err as Error, attempt, delayMs);
        await sleep(delayMs);
      }
    }
  }
}

/** JetStream API error codes (nats-server's errors.json) that decide what ensureStreams does. */
const JS_STREAM_NOT_FOUND = 10059;
/** Another process created the stream between our info and our add: look again. */
const JS_STREAM_NAME_IN_USE = 10058;
/** A cluster whose peers have not all reported yet has no room for N copies: wait for them. */
const JS_CLUSTER_NO_PEERS = 10005;

async function streamExists(jsm: JetStreamManager, name: string): Promise<boolean> {
  try {
    await jsm.streams.info(name);
    return true;
  } catch (err) {
    if (err instanceof NatsError && err.api_error?.err_code === JS_STREAM_NOT_FOUND) return false;
    throw err;
  }
}

/**
 * An error that a later try may not get: no answer in time, no responders (no stream leader, or
 * JetStream not up yet), a dropped connection, or JetStream's own "temporarily unavailable" (5xx).
 */
export function isTransientJetStreamError(err: unknown): boolean {
  if (!(err instanceof NatsError)) return false;
  const api = err.api_error;
  if (api !== undefined) {
    return api.code >= 500 || api.err_code === JS_STREAM_NAME_IN_USE || api.err_code === JS_CLUSTER_NO_PEERS;
  }
  return (
    err.code === ErrorCode.Timeout ||
    err.code === ErrorCode.NoResponders ||
    err.code === ErrorCode.JetStream408RequestTimeout ||
    err.code === ErrorCode.Disconnect
  );
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
