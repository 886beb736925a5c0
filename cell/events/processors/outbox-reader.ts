// The outbox rows the processors check events against (outbox-check.ts), read once per process:
// the ledger, settlement and webhook consumers of one processor receive the same events within
// milliseconds of each other, and each used to read the same rows again. An outbox row never
// changes once committed (only the relay's published_at, which is not part of the envelope), so a
// row read from the database can stand for a while for every consumer. Ids that are not found are
// never remembered: the check refuses them, and a retry reads again. Each caller gets its own copy,
// so that no handler's change to an envelope can make the next consumer's check fail. Checks
// compare a message with the row's JSON, made once per row: the relay serialised the same
// envelope from the same row, so the plain JSON is equal byte for byte, and only a message whose
// keys came in another order needs the canonical form (made then, once). Comparing canonical JSON
// for every consumer was a fifth of the processor's CPU.
import { LRUCache } from "lru-cache";
import { canonicalJson } from "../../../shared/canonical-json.ts";
import type { Sql } from "../../db/client.ts";
import { eventsByIds, toEnvelope } from "../../db/queries/events.ts";
import type { EventEnvelope } from "../envelope.ts";

export interface OutboxEntry {
  /** The caller's own copy of the row's envelope. */
  envelope: EventEnvelope;
  /** True when `event` is the row's envelope (the same JSON value, whatever its key order). */
  sameAs(event: unknown): boolean;
}

export interface OutboxReader {
  /** The outbox's row of each id found (a missing id is absent from the map). */
  envelopes(ids: readonly string[]): Promise<Map<string, OutboxEntry>>;
}

interface Cached {
  /** JSON.stringify of the row's envelope. */
  plain: string;
  canonical?: string;
}

function entryOf(c: Cached): OutboxEntry {
  return {
    // The envelope is plain JSON (jsonb data, numbers, strings), so parsing its JSON is an exact copy.
    envelope: JSON.parse(c.plain) as EventEnvelope,
    sameAs(event) {
      if (JSON.stringify(event) === c.plain) return true;
      c.canonical ??= canonicalJson(JSON.parse(c.plain));
      return canonicalJson(event) === c.canonical;
    },
  };
}

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
      const found = new Map<string, OutboxEntry>();
      const waits: Promise<void>[] = [];
      const toRead: string[] = [];
      for (const id of new Set(ids)) {
        const cached = rows.get(id);
        if (cached) found.set(id, entryOf(cached));
        else if (reading.has(id))
          waits.push(
            reading.get(id)!.then((e) => {
              if (e) found.set(id, entryOf(e));
            }),
          );
        else toRead.push(id);
      }
      if (toRead.length > 0) {
        const read = eventsByIds(sql, toRead).then(
          (list) =>
            new Map(
              list.map((r): [string, Cached] => [r.id, { plain: JSON.stringify(toEnvelope(cellId, r)) }]),
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
            found.set(id, entryOf(cached));
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
