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
}
