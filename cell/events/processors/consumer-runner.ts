// Runs one EventHandler on its durable pull consumer of the cell's event stream. Every processor
// process runs the same consumers, so JetStream spreads their messages over the processes.
// Outcomes: success → ack; a throw → nak with exponential backoff and jitter; a failure on the
// maxDeliver-th attempt, or a message that is not an event envelope → copied to the dead-letter
// stream (with the reason, consumer, original subject and event id in headers), then term(), so
// one bad event never blocks the rest.
import {
  AckPolicy,
  type ConsumerConfig,
  type ConsumerMessages,
  DeliverPolicy,
  headers,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  nanos,
} from "nats";
import { z } from "zod";
import type { Logger } from "../../../shared/logger.ts";
import { SpanKind, SpanStatusCode, startSpan } from "../../../shared/telemetry/trace-context.ts";
import type { EventEnvelope } from "../envelope.ts";
import { deadLetterSubject, eventsStream } from "../streams.ts";
import type { EventHandler } from "./event-handler.ts";

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
  /** Messages handled at once per consumer in this process. */
  concurrency?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  random?: () => number;
  /** Told every outcome (processor-metrics.ts counts them). */
  onHandled?: (consumer: string, outcome: "ok" | "retry" | "dead", seconds: number) => void;
}

export const deadLetterHeaders = {
  reason: "Cellpay-Dead-Reason",
  consumer: "Cellpay-Consumer",
  subject: "Cellpay-Original-Subject",
  eventId: "Cellpay-Event-Id",
  deliveries: "Cellpay-Deliveries",
} as const;

const EnvelopeSchema = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  partner_id: z.string().min(1),
  cell_id: z.string().min(1),
  created: z.number().int(),
  data: z.record(z.string(), z.unknown()),
});

/** `cell.<cell>.events.<partner>.<type with dots>` → the type. */
export const typeOfSubject = (subject: string) => subject.split(".").slice(4).join(".");

export class ConsumerRunner {
  private readonly maxDeliver: number;
  private readonly ackWaitMs: number;
  private readonly concurrency: number;
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
    this.log = opts.log.child({ consumer: handler.name });
    this.wanted = handler.types ? new Set(handler.types) : undefined;
  }

  async start(): Promise<void> {
    const stream = eventsStream(this.opts.cellId);
    await this.ensureConsumer(stream);
    const consumer = await this.opts.js.consumers.get(stream, this.handler.name);
    // A small prefetch: buffered messages age towards ack_wait while they wait for a slot.
    this.messages = await consumer.consume({ max_messages: this.concurrency * 2 });
    this.loop = this.pump(this.messages).catch((err: unknown) => {
      this.log.error({ err: messageOf(err) }, "consumer stopped pulling");
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

  private async ensureConsumer(stream: string): Promise<void> {
    const config: Partial<ConsumerConfig> & { durable_name: string } = {
      durable_name: this.handler.name,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(this.ackWaitMs),
      // The runner counts attempts and dead-letters at maxDeliver itself. The server's limit sits a
      // little above it so that a process dying on the last attempt, or a failed dead-letter
      // publish, still gets the message back (a server-side drop would be silent).
      max_deliver: this.maxDeliver + 3,
      max_ack_pending: 10_000,
      ...this.filter(),
    };
    try {
      await this.opts.jsm.consumers.add(stream, config);
    } catch {
      try {
        await this.opts.jsm.consumers.update(stream, this.handler.name, config);
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, "consumer config not updated; using the existing one");
      }
    }
  }

  /** Server-side filtering where the server can; otherwise process() acks unwanted types. */
  private filter(): Partial<ConsumerConfig> {
    const types = this.handler.types;
    if (!types || types.length === 0) return {};
    const subject = (t: string) => `cell.${this.opts.cellId}.events.*.${t}`;
    if (types.length === 1) return { filter_subject: subject(types[0]!) };
    const [major = 0, minor = 0] = this.opts.serverVersion.split(".").map(Number);
    return major > 2 || (major === 2 && minor >= 10) ? { filter_subjects: types.map(subject) } : {};
  }

  private async process(msg: JsMsg): Promise<void> {
    if (this.wanted && !this.wanted.has(typeOfSubject(msg.subject))) {
      msg.ack();
      return;
    }
    let event: EventEnvelope;
    try {
      event = EnvelopeSchema.parse(JSON.parse(new TextDecoder().decode(msg.data)));
    } catch (err) {
      await this.deadLetter(msg, `not an event envelope: ${messageOf(err)}`, undefined);
      return;
    }
    const attempt = msg.info.deliveryCount;
    // A child of the request that wrote the event (its traceparent came through the relay).
    const traced = startSpan(
      `process ${this.handler.name}`,
      msg.headers?.get("traceparent"),
      SpanKind.CONSUMER,
      {
        "cellpay.event_id": event.id,
      },
    );
    const started = performance.now();
    const done = (outcome: "ok" | "retry" | "dead") => {
      this.opts.onHandled?.(this.handler.name, outcome, (performance.now() - started) / 1000);
      if (outcome !== "ok") traced.span.setStatus({ code: SpanStatusCode.ERROR });
      traced.span.end();
    };
    try {
      await this.withTimeout(this.handler.handle(event));
      msg.ack();
      done("ok");
    } catch (err) {
      const fields = { event_id: event.id, partner_id: event.partner_id, type: event.type, attempt };
      if (attempt >= this.maxDeliver) {
        await this.deadLetter(msg, `failed ${attempt} times; last error: ${messageOf(err)}`, event.id);
        done("dead");
        return;
      }
      const delayMs = this.retryDelayMs(attempt);
      this.log.warn(
        { ...fields, err: messageOf(err), retry_in_ms: delayMs, trace_id: traced.traceId },
        "event handler failed; will retry",
      );
      msg.nak(delayMs);
      done("retry");
    }
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
