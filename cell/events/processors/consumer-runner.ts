// Runs one EventHandler on its durable pull consumer of the cell's event stream. Every processor
// process runs the same consumers, so JetStream spreads their messages over the processes.
// Outcomes: success → ack; a throw → nak with exponential backoff and jitter; a failure on the
// maxDeliver-th attempt, or a message that is not an event envelope → copied to the dead-letter
// stream (with the reason, consumer, original subject and event id in headers), then term(), so
// one bad event never blocks the rest.
// A handler with handleBatch gets the messages that are waiting together (batch-pump.ts), acked
// once the batch committed; a batch that fails is handled again one event at a time, with the
// outcomes above per event.
import {
  ConsumerEvents,
  type ConsumerMessages,
  headers,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from "nats";
import { z } from "zod";
import type { Logger } from "../../../shared/logger.ts";
import {
  SpanKind,
  SpanStatusCode,
  type StartedSpan,
  startSpan,
} from "../../../shared/telemetry/trace-context.ts";
import { type EventEnvelope, EventEnvelopeSchema } from "../envelope.ts";
import { deadLetterSubject, eventsStream } from "../streams.ts";
import { pumpInBatches } from "./batch-pump.ts";
import { ensureDurableConsumer } from "./durable-consumer.ts";
import { type EventHandler, EventRefused, type RefusalReason } from "./event-handler.ts";

export interface ConsumerRunnerOptions {
  cellId: string;
  js: JetStreamClient;
  jsm: JetStreamManager;
  log: Logger;
  /** nats-server version ("2.9.10"): multi-subject filters need 2.10. */
  serverVersion: string;
  /** Attempts before an event is dead-lettered. */
  maxDeliver?: number;
  /** Unacknowledged this long (a dead process), a message is redelivered. */
  ackWaitMs?: number;
  /** Messages handled at once per consumer in this process (one by one, without handleBatch). */
  concurrency?: number;
  /** Most events in one handleBatch call; 1 turns batching off. */
  maxBatch?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** How long one pull request waits on the server (see start()). */
  pullExpiresMs?: number;
  random?: () => number;
  /** Told every outcome (processor-metrics.ts counts them). */
  onHandled?: (consumer: string, outcome: "ok" | "retry" | "dead", seconds: number) => void;
  /** Told every event a handler refused (outbox-check.ts): an alert, not a retry. */
  onRefused?: (consumer: string, reason: RefusalReason) => void;
}

export const deadLetterHeaders = {
  reason: "Cellpay-Dead-Reason",
  consumer: "Cellpay-Consumer",
  subject: "Cellpay-Original-Subject",
  eventId: "Cellpay-Event-Id",
  deliveries: "Cellpay-Deliveries",
} as const;

// The one envelope (events/envelope.ts). Messages published before modes existed carry no
// `livemode`: their rows became test-mode rows (migration 0007), and so do they.
const EnvelopeSchema = EventEnvelopeSchema.extend({ livemode: z.boolean().default(false) });

/** `cell.<cell>.events.<partner>.<type with dots>` → the type. */
export const typeOfSubject = (subject: string) => subject.split(".").slice(4).join(".");

/** A message whose event is being handled: its span and clock run from when it was taken. */
interface Received {
  msg: JsMsg;
  event: EventEnvelope;
  traced: StartedSpan;
  started: number;
}

const decoder = new TextDecoder();

export class ConsumerRunner {
  private readonly maxDeliver: number;
  private readonly ackWaitMs: number;
  private readonly concurrency: number;
  private readonly maxBatch: number;
  private readonly log: Logger;
  private readonly wanted: Set<string> | undefined;
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;
  private inFlight = 0;
  private slotFreed: (() => void) | undefined;

  constructor(
    readonly handler: EventHandler,
    private readonly opts: ConsumerRunnerOptions,
  ) {
    this.maxDeliver = opts.maxDeliver ?? 5;
    this.ackWaitMs = opts.ackWaitMs ?? 30_000;
    this.concurrency = opts.concurrency ?? 16;
    this.maxBatch = handler.handleBatch ? (opts.maxBatch ?? 256) : 1;
    this.log = opts.log.child({ consumer: handler.name });
    this.wanted = handler.types ? new Set(handler.types) : undefined;
  }

  async start(): Promise<void> {
    const stream = eventsStream(this.opts.cellId);
    await this.ensureConsumer(stream);
    const consumer = await this.opts.js.consumers.get(stream, this.handler.name);
    const batching = this.maxBatch > 1;
    // A small prefetch: buffered messages age towards ack_wait while they wait for a slot. With
    // batches, about one batch waits in the client and one in the pump while one is applied.
    // A short expiry: a pull request lives on the consumer's leader, and a leader that dies
    // (SIGKILL, lost machine) takes it along without a word. The client only notices when two
    // idle heartbeats (expires / 2 each) are missed, then pulls again from the new leader: with
    // nats.js's default 30 s that stalled the consumer ~30 s after each leader loss; at 5 s it is
    // ~5 s, for one extra pull per consumer every 5 s when the stream is idle.
    this.messages = await consumer.consume({
      max_messages: batching ? this.maxBatch : this.concurrency * 2,
      expires: this.opts.pullExpiresMs ?? 5_000,
    });
    void this.recreateWhenMissing(this.messages, stream);
    const pumping = batching
      ? pumpInBatches(this.messages, {
          maxBatch: this.maxBatch,
          apply: (batch) => this.processBatch(batch),
          onError: (err, batch) =>
            this.log.error(
              { err: messageOf(err), messages: batch.length },
              "batch not settled; its messages come back after ack_wait",
            ),
        })
      : this.pump(this.messages);
    this.loop = pumping.catch((err: unknown) => {
      this.log.error({ err: messageOf(err) }, "consumer stopped pulling");
    });
  }

  /**
   * A NATS that came back without its store has lost the durable consumer (and, until the relay
   * makes it again, the stream). The client keeps pulling and reports it missing; making the
   * consumer again lets it go on (from the stream's start: the events republished since).
   */
  private async recreateWhenMissing(messages: ConsumerMessages, stream: string): Promise<void> {
    try {
      for await (const status of await messages.status()) {
        if (
          status.type !== ConsumerEvents.ConsumerNotFound &&
          status.type !== ConsumerEvents.StreamNotFound
        ) {
          continue;
        }
        this.log.warn({ status: status.type }, "durable consumer missing; making it again");
        await this.ensureConsumer(stream).catch((err: unknown) =>
          this.log.warn({ err: messageOf(err) }, "consumer not made yet (stream missing?); retrying"),
        );
      }
    } catch {
      // the iterator ends when the consumer is closed
    }
  }

  private ensureConsumer(stream: string): Promise<void> {
    return ensureDurableConsumer(this.opts.jsm, stream, {
      name: this.handler.name,
      types: this.handler.types,
      cellId: this.opts.cellId,
      serverVersion: this.opts.serverVersion,
      ackWaitMs: this.ackWaitMs,
      maxDeliver: this.maxDeliver,
      log: this.log,
    });
  }

  /** Stops pulling, then waits for the messages being handled to be acked or nak'ed. */
  async stop(): Promise<void> {
    await this.messages?.close();
    await this.loop;
    while (this.inFlight > 0) await new Promise<void>((r) => setTimeout(r, 10));
  }

  private async pump(messages: ConsumerMessages): Promise<void> {
    for await (const msg of messages) {
      while (this.inFlight >= this.concurrency) {
        await new Promise<void>((r) => {
          this.slotFreed = r;
        });
      }
      this.inFlight++;
      void this.process(msg).finally(() => {
        this.inFlight--;
        this.slotFreed?.();
      });
    }
  }

  /** The message's event; undefined when it was an unwanted type (acked here). */
  private parse(msg: JsMsg): EventEnvelope | Error | undefined {
    if (this.wanted && !this.wanted.has(typeOfSubject(msg.subject))) {
      msg.ack();
      return undefined;
    }
    try {
      return EnvelopeSchema.parse(JSON.parse(decoder.decode(msg.data)));
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  }

  private receive(msg: JsMsg, event: EventEnvelope, batchSize: number): Received {
    // A child of the request that wrote the event (its traceparent came through the relay).
    const traced = startSpan(
      `process ${this.handler.name}`,
      msg.headers?.get("traceparent"),
      SpanKind.CONSUMER,
      {
        "cellpay.event_id": event.id,
        "cellpay.batch_size": batchSize,
      },
    );
    return { msg, event, traced, started: performance.now() };
  }

  private async process(msg: JsMsg): Promise<void> {
    const event = this.parse(msg);
    if (event === undefined) return;
    if (event instanceof Error) {
      await this.deadLetter(msg, `not an event envelope: ${event.message}`, undefined);
      return;
    }
    await this.handleOne(this.receive(msg, event, 1));
  }

  /**
   * One handleBatch call for the batch's events; on failure, each on its own through handleOne.
   * A redelivered message goes straight to handleOne: it failed before (or its process died), and
   * a poison event should spend its remaining attempts alone, not fail a fresh batch each time.
   */
  private async processBatch(msgs: JsMsg[]): Promise<void> {
    const batch: Received[] = [];
    const alone: Received[] = [];
    const others: Promise<void>[] = [];
    for (const msg of msgs) {
      const event = this.parse(msg);
      if (event instanceof Error)
        others.push(this.deadLetter(msg, `not an event envelope: ${event.message}`, undefined));
      else if (event)
        (msg.info.deliveryCount > 1 ? alone : batch).push(this.receive(msg, event, msgs.length));
    }
    if (alone.length > 0) others.push(this.oneByOne(alone));
    if (batch.length > 0) {
      try {
        await this.withTimeout(this.handler.handleBatch!(batch.map((r) => r.event)));
        for (const r of batch) {
          r.msg.ack();
          this.finish(r, "ok");
        }
      } catch (err) {
        this.log.warn(
          { err: messageOf(err), events: batch.length },
          "event batch failed; handling its events one by one",
        );
        await this.oneByOne(batch);
      }
    }
    await Promise.all(others);
  }

  /** The per-event path for a failed batch: `concurrency` at a time, as without batches. */
  private async oneByOne(batch: Received[]): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < batch.length) await this.handleOne(batch[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, batch.length) }, worker));
  }

  private async handleOne(r: Received): Promise<void> {
    const { msg, event } = r;
    const attempt = msg.info.deliveryCount;
    try {
      await this.withTimeout(this.handler.handle(event));
      msg.ack();
      this.finish(r, "ok");
    } catch (err) {
      const fields = { event_id: event.id, partner_id: event.partner_id, type: event.type, attempt };
      if (err instanceof EventRefused) {
        // Not a failure to retry: a message that does not match the cell's database.
        this.log.warn(
          { ...fields, reason: err.reason, err: err.message },
          "event refused; dead-lettering it",
        );
        this.opts.onRefused?.(this.handler.name, err.reason);
        await this.deadLetter(msg, `refused: ${err.reason}: ${err.message}`, event.id);
        this.finish(r, "dead");
        return;
      }
      if (attempt >= this.maxDeliver) {
        await this.deadLetter(msg, `failed ${attempt} times; last error: ${messageOf(err)}`, event.id);
        this.finish(r, "dead");
        return;
      }
      const delayMs = this.retryDelayMs(attempt);
      this.log.warn(
        { ...fields, err: messageOf(err), retry_in_ms: delayMs, trace_id: r.traced.traceId },
        "event handler failed; will retry",
      );
      msg.nak(delayMs);
      this.finish(r, "retry");
    }
  }

  private finish(r: Received, outcome: "ok" | "retry" | "dead"): void {
    this.opts.onHandled?.(this.handler.name, outcome, (performance.now() - r.started) / 1000);
    if (outcome !== "ok") r.traced.span.setStatus({ code: SpanStatusCode.ERROR });
    r.traced.span.end();
  }

  private async deadLetter(msg: JsMsg, reason: string, eventId: string | undefined): Promise<void> {
    const h = headers();
    // Header values are single lines.
    h.set(deadLetterHeaders.reason, reason.replace(/[\r\n]+/g, " ").slice(0, 1000));
    h.set(deadLetterHeaders.consumer, this.handler.name);
    h.set(deadLetterHeaders.subject, msg.subject);
    h.set(deadLetterHeaders.deliveries, String(msg.info.deliveryCount));
    if (eventId) h.set(deadLetterHeaders.eventId, eventId);
    try {
      await this.opts.js.publish(deadLetterSubject(this.opts.cellId, this.handler.name), msg.data, {
        headers: h,
        // A redelivered poison message is dead-lettered once per consumer.
        msgID: `${this.handler.name}:${msg.info.streamSequence}`,
      });
    } catch (err) {
      // Not dead-lettered: keep it in the stream and try again later rather than lose it.
      this.log.error({ err: messageOf(err), event_id: eventId }, "dead-letter publish failed; will retry");
      msg.nak(this.opts.retryMaxMs ?? 60_000);
      return;
    }
    this.log.error(
      { event_id: eventId, subject: msg.subject, reason, stream_seq: msg.info.streamSequence },
      "event dead-lettered",
    );
    msg.term();
  }

  /** Exponential from retryBaseMs, capped, with "equal jitter" so retries of a burst spread out. */
  private retryDelayMs(attempt: number): number {
    const base = this.opts.retryBaseMs ?? 1000;
    const cap = Math.min(this.opts.retryMaxMs ?? 60_000, base * 2 ** (attempt - 1));
    const random = this.opts.random ?? Math.random;
    return Math.round(cap / 2 + (random() * cap) / 2);
  }

  /** A handler that hangs counts as failed before ack_wait would redeliver it elsewhere anyway. */
  private async withTimeout(work: Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const limit = Math.max(1000, Math.floor(this.ackWaitMs * 0.8));
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`handler took longer than ${limit} ms`)), limit);
    });
    try {
      await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Starts one runner per handler; stop() stops them all. */
export async function startConsumerRunners(
  handlers: readonly EventHandler[],
  opts: ConsumerRunnerOptions,
): Promise<{ runners: ConsumerRunner[]; stop(): Promise<void> }> {
  const runners = handlers.map((h) => new ConsumerRunner(h, opts));
  await Promise.all(runners.map((r) => r.start()));
  return {
    runners,
    async stop() {
      await Promise.all(runners.map((r) => r.stop()));
    },
  };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
