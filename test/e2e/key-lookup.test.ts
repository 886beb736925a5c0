// The API-key lookup's cache against a real cell database: concurrent requests with one key share
// one read, and cached entries expire between 3/4 and all of the TTL, so keys first used together
// do not all expire together.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashApiKey } from "../../cell/partners/api-keys.ts";
import { createKeyLookup } from "../../cell/partners/key-lookup.ts";
import { startTestCell, type TestCell } from "../harness.ts";

let cell: TestCell;
let partner: { partnerId: string; apiKey: string };

beforeAll(async () => {
  cell = await startTestCell();
  partner = await cell.partner("Key lookup");
});
afterAll(async () => {
  await cell?.stop();
});

/** The cell's pool, counting the statements the lookup sends through it. */
function countingSql() {
  const real = cell.gateway.deps.sql;
  const counter = { queries: 0 };
  const sql = ((...args: Parameters<typeof real>) => {
    counter.queries++;
    return real(...args);
  }) as unknown as typeof real;
  return { sql, counter };
}

describe("API key lookup cache", () => {
  it("20 concurrent lookups of one uncached key read Postgres once", async () => {
    const { sql, counter } = countingSql();
    const lookup = createKeyLookup(sql, { ttlMs: 10_000 });
    const hash = hashApiKey(partner.apiKey);
    const records = await Promise.all(Array.from({ length: 20 }, () => lookup.find(hash)));
    expect(counter.queries).toBe(1);
    for (const r of records) expect(r?.partnerId).toBe(partner.partnerId);
  });

  it("an entry lives between 3/4 and all of the TTL, as the random draw says", async () => {
    const clock = { now: 0 };
    for (const [draw, expiresAt] of [
      [0, 7_500],
      [1, 10_000],
    ] as const) {
      const { sql, counter } = countingSql();
      const lookup = createKeyLookup(sql, { ttlMs: 10_000, now: () => clock.now, random: () => draw });
      const hash = hashApiKey(partner.apiKey);
      clock.now = 0;
      await lookup.find(hash);
      clock.now = expiresAt - 1;
      await lookup.find(hash);
      expect(counter.queries).toBe(1);
      clock.now = expiresAt;
      await lookup.find(hash);
      expect(counter.queries).toBe(2);
    }
  });
});
