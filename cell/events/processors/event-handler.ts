// What a core processor is: a named durable consumer of the cell's event stream. Several
// processor processes run the same handlers and share each durable consumer, so adding a process
// adds throughput. A handler must be idempotent by event id (a redelivery repeats it); a throw
// means "retry later", and after maxDeliver attempts the event goes to the dead-letter stream.
import type { Logger } from "../../../shared/logger.ts";
import type { Db, Sql } from "../../db/client.ts";
import type { Vault } from "../../vault/vault.ts";
import type { EventEnvelope } from "../envelope.ts";

export interface ProcessorDeps {
  cellId: string;
  sql: Sql;
  db: Db;
  vault: Vault;
  log: Logger;
  clock: () => Date;
}

export interface EventHandler {
  /** Durable consumer name, e.g. "ledger". */
  name: string;
  /** Event types it wants (all when omitted). */
  types?: readonly string[];
  handle(event: EventEnvelope): Promise<void>;
  /**
   * Optional: applies every event of the batch at once, all or nothing (one statement or one
   * transaction), with the same idempotency by event id as handle(). The consumer runner hands it
   * the messages already waiting, so one commit serves many events; when it throws, the runner
   * falls back to handle() per event, so one bad event is retried and dead-lettered on its own.
   */
  handleBatch?(events: EventEnvelope[]): Promise<void>;
}

/**
 * The batch's events once each, in id order: a redelivery may sit in the same batch, and one order
 * for every writer keeps concurrent batches from deadlocking on the rows they lock.
 */
export function distinctById(events: readonly EventEnvelope[]): EventEnvelope[] {
  const byId = new Map<string, EventEnvelope>();
  for (const e of events) if (!byId.has(e.id)) byId.set(e.id, e);
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export const refusalReasons = ["not_in_outbox", "differs_from_outbox"] as const;
export type RefusalReason = (typeof refusalReasons)[number];

/**
 * Thrown by a handler for an event that must never be applied (retrying cannot help): the
 * consumer runner dead-letters it at once with the reason, warns and counts it.
 */
export class EventRefused extends Error {
  constructor(
    readonly reason: RefusalReason,
    message: string,
  ) {
    super(message);
  }
}
