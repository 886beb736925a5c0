// Finds the partner behind an API key. A short in-process cache saves one Postgres round trip on
// nearly every request; revocation and suspension therefore take effect within `ttlMs`.
import type { Sql } from "../db/client.ts";

export interface KeyRecord {
  keyId: string;
  partnerId: string;
  mode: "test" | "live";
  revoked: boolean;
  partnerStatus: "active" | "suspended";
}

export interface KeyLookup {
  find(secretHash: string): Promise<KeyRecord | undefined>;
  forget(secretHash: string): void;
}

export function createKeyLookup(
  sql: Sql,
  opts: { ttlMs: number; maxEntries?: number; now?: () => number },
): KeyLookup {
  const now = opts.now ?? Date.now;
  const max = opts.maxEntries ?? 50_000;
  const cache = new Map<string, { record: KeyRecord | undefined; expires: number }>();

  return {
    async find(secretHash) {
      const hit = cache.get(secretHash);
      if (hit && hit.expires > now()) return hit.record;
      const rows = await sql<
        {
          key_id: string;
          partner_id: string;
          mode: "test" | "live";
          revoked: boolean;
          partner_status: "active" | "suspended";
        }[]
      >`select k.id as key_id, k.partner_id, k.mode, k.revoked_at is not null as revoked, p.status as partner_status
        from api_keys k join partners p on p.id = k.partner_id
        where k.secret_hash = ${secretHash}`;
      const row = rows[0];
      const record = row
        ? {
            keyId: row.key_id,
            partnerId: row.partner_id,
            mode: row.mode,
            revoked: row.revoked,
            partnerStatus: row.partner_status,
          }
        : undefined;
      if (cache.size >= max) cache.clear();
      cache.set(secretHash, { record, expires: now() + opts.ttlMs });
      return record;
    },
    forget(secretHash) {
      cache.delete(secretHash);
    },
  };
}
