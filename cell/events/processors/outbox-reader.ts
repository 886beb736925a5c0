// The outbox rows the processors check events against (outbox-check.ts), read once per process:
// the ledger, settlement and webhook consumers of one processor receive the same events within
// milliseconds of each other, and each used to read the same rows again. An outbox row never
// changes once committed (only the relay's published_at, which is not part of the envelope), so a
// row read from the database can stand for a while for every consumer. Ids that are not found are
// never remembered: the check refuses them, and a retry reads again. Each caller gets its own copy,
// so that no handler's change to an envelope can make the next consumer's check fail. The row's
// canonical JSON, which every consumer's check compares its message with, is made once per row
// (it was a fifth of the processor's CPU when each check made it again).
import { LRUCache } from "lru-cache";
import { canonicalJson } from "../../../shared/canonical-json.ts";
import type { Sql } from "../../db/client.ts";
import { eventsByIds, toEnvelope } from "../../db/queries/events.ts";
import type { EventEnvelope } from "../envelope.ts";

export interface OutboxRow {
  /** The caller's own copy of the row's envelope. */
  envelope: EventEnvelope;
  /** canonicalJson(envelope), shared. */
  canonical: string;
}

export interface OutboxReader {
  /** The outbox's row of each id found (a missing id is absent from the map). */
  envelopes(ids: readonly string[]): Promise<Map<string, OutboxRow>>;
}

interface Cached {
  envelope: EventEnvelope;
  canonical: string;
}
const copyOf = (c: Cached): OutboxRow => ({ envelope: structuredClone(c.envelope), canonical: c.canonical });

export function createOutboxReader(
  sql: Sql,
  cellId: string,
  opts: { max?: number; ttlMs?: number } = {},
): OutboxReader {
  const rows = new LRUCache<string, Cached>({ max: opts.max ?? 20_000, ttl: opts.ttlMs ?? 60_000 });
  /** Reads in flight, by id: a second consumer asking meanwhile waits for the same read. */
  const reading = new Map<string, Promise<Cached | undefined>>();
  return {
    async envelopes(ids) {
      const found = new Map<string, OutboxRow>();
      const waits: Promise<void>[] = [];
      const toRead: string[] = [];
      for (const id of new Set(ids)) {
        const cached = rows.get(id);
        if (cached) found.set(id, copyOf(cached));
        else if (reading.has(id))
          waits.push(
            reading.get(id)!.then((e) => {
              if (e) found.set(id, copyOf(e));
            }),
          );
        else toRead.push(id);
      }
      if (toRead.length > 0) {
        const read = eventsByIds(sql, toRead).then(
          (list) =>
            new Map(
              list.map((r) => {
                const envelope = toEnvelope(cellId, r);
                return [r.id, { envelope, canonical: canonicalJson(envelope) }];
              }),
            ),
        );
        for (const id of toRead) {
          // A failed read rejects for every waiter too: "retry later", never "not in the outbox".
          const one = read.then((m) => m.get(id));
          one.catch(() => {});
          reading.set(id, one);
        }
        try {
          for (const [id, cached] of await read) {
            rows.set(id, cached);
            found.set(id, copyOf(cached));
          }
        } finally {
          for (const id of toRead) reading.delete(id);
        }
      }
      await Promise.all(waits);
      return found;
    },
  };
}
