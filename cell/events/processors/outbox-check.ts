// Processors trust the cell's database, not the message: whoever can publish on the cell's NATS
// (a leaked relay credential, a compromised host on the cell network) must not be able to move
// a balance. Each event is loaded by id from the outbox the gateway wrote in the same
// transaction as the payment; a message with no row, or one that differs from its row, is
// refused (dead-lettered with the reason, warned and counted), and the handler is given the
// row's envelope, never the message's.
import type { EventEnvelope } from "../envelope.ts";
import { type EventHandler, EventRefused, type ProcessorDeps } from "./event-handler.ts";
import { createOutboxReader, type OutboxReader } from "./outbox-reader.ts";

/**
 * `handler` behind the outbox check: it only ever sees events as the outbox holds them. Pass the
 * same `reader` to every handler of a process, so that each row is read once for all of them.
 */
export function fromOutbox(
  handler: EventHandler,
  deps: Pick<ProcessorDeps, "sql" | "cellId">,
  reader: OutboxReader = createOutboxReader(deps.sql, deps.cellId),
): EventHandler {
  const trusted = async (events: readonly EventEnvelope[]): Promise<EventEnvelope[]> => {
    const byId = await reader.envelopes(events.map((e) => e.id));
    return events.map((event) => {
      const stored = byId.get(event.id);
      if (!stored) throw new EventRefused("not_in_outbox", `event ${event.id} is not in the cell's outbox`);
      if (!stored.sameAs(event))
        throw new EventRefused("differs_from_outbox", `event ${event.id} differs from the cell's outbox row`);
      return stored.envelope;
    });
  };
  return {
    name: handler.name,
    ...(handler.types ? { types: handler.types } : {}),
    async handle(event) {
      const [stored] = await trusted([event]);
      await handler.handle(stored!);
    },
    ...(handler.handleBatch
      ? {
          // One refused event fails the batch; the runner then takes its events one by one, so
          // only the refused one is dead-lettered.
          async handleBatch(events: EventEnvelope[]) {
            await handler.handleBatch!(await trusted(events));
          },
        }
      : {}),
  };
}
