// The durable pull consumer a ConsumerRunner reads: created at start, or updated to the runner's
// settings when it exists (every processor process makes the same call).
import { AckPolicy, type ConsumerConfig, DeliverPolicy, type JetStreamManager, nanos } from "nats";
import type { Logger } from "../../../shared/logger.ts";

export interface DurableConsumerSettings {
  name: string;
  /** Event types it wants (all when omitted). */
  types: readonly string[] | undefined;
  cellId: string;
  /** nats-server version ("2.9.10"): multi-subject filters need 2.10. */
  serverVersion: string;
  ackWaitMs: number;
  maxDeliver: number;
  log: Logger;
}

export async function ensureDurableConsumer(
  jsm: JetStreamManager,
  stream: string,
  s: DurableConsumerSettings,
): Promise<void> {
  const config: Partial<ConsumerConfig> & { durable_name: string } = {
    durable_name: s.name,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(s.ackWaitMs),
    // The runner counts attempts and dead-letters at maxDeliver itself. The server's limit sits a
    // little above it so that a process dying on the last attempt, or a failed dead-letter
    // publish, still gets the message back (a server-side drop would be silent).
    max_deliver: s.maxDeliver + 3,
    max_ack_pending: 10_000,
    ...subjectFilter(s),
  };
  try {
    await jsm.consumers.add(stream, config);
  } catch {
    try {
      await jsm.consumers.update(stream, s.name, config);
    } catch (err) {
      s.log.warn({ err: (err as Error).message }, "consumer config not updated; using the existing one");
    }
  }
}

/** Server-side filtering where the server can; otherwise the runner acks unwanted types. */
function subjectFilter(s: DurableConsumerSettings): Partial<ConsumerConfig> {
  const types = s.types;
  if (!types || types.length === 0) return {};
  const subject = (t: string) => `cell.${s.cellId}.events.*.${t}`;
  if (types.length === 1) return { filter_subject: subject(types[0]!) };
  const [major = 0, minor = 0] = s.serverVersion.split(".").map(Number);
  return major > 2 || (major === 2 && minor >= 10) ? { filter_subjects: types.map(subject) } : {};
}
