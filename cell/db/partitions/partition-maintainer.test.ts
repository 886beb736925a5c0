// Retention by time against a real Postgres, the maintainer driven by an injected clock: it drops
// only whole days past retention (and keeps a day still holding unpublished events), a re-drive
// read of the outbox since a time still sees the window, and an idempotency key stays unique
// across day partitions, also when two claims race over midnight.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CellInfra, startTestCellInfra } from "../../../platform/cell-infra.ts";
import { newId, timeIdBound } from "../../../shared/ids.ts";
import { createDb } from "../client.ts";
import { migrateCellDatabase } from "../migrate.ts";
import { eventsSince } from "../queries/events.ts";
import { claimKey } from "../queries/idempotency.ts";
import { maintainPartitions } from "./partition-maintainer.ts";
import { defaultRetention } from "./retention-config.ts";

const DAY = 24 * 60 * 60 * 1000;
const HOUR = 60 * 60 * 1000;
let infra: CellInfra;
let database: ReturnType<typeof createDb>;
const retention = defaultRetention();
/** Noon UTC, 40 days from now: days the migration did not make, so the maintainer must. */
const base = Math.floor(Date.now() / DAY) * DAY + 40 * DAY + 12 * HOUR;

beforeAll(async () => {
  infra = await startTestCellInfra("cell-partitions");
  await migrateCellDatabase(infra.postgresUrl);
  database = createDb(infra.postgresUrl, { max: 4 });
});

afterAll(async () => {
  await database?.end();
  await infra?.stop();
});

const partitionsOf = async (table: string) =>
  (
    await database.sql<{ name: string }[]>`
      select c.relname as name from pg_inherits i
      join pg_class c on c.oid = i.inhrelid join pg_class p on p.oid = i.inhparent
      where p.relname = ${table} order by 1`
  ).map((r) => r.name);

async function insertEvent(atMs: number, published = true): Promise<string> {
  const id = newId("evt", atMs);
  await database.sql`
    insert into events (id, partner_id, livemode, type, data, created_at, published_at)
    values (${id}, 'ptr_retention', false, 'payment.captured', '{}'::jsonb, ${new Date(atMs)},
      ${published ? new Date(atMs) : null})`;
  await database.sql`insert into processed_events (consumer, event_id) values ('ledger', ${id})`;
  return id;
}

describe("partition bounds", () => {
  it("the SQL id bound the migration used is the one newId and the maintainer use", async () => {
    for (const at of [0, 1_700_000_000_000, Date.now(), base]) {
      const [row] = await database.sql<{ id: string }[]>`
        select cellpay_time_id('evt', to_timestamp(${at / 1000})) as id`;
      expect(row?.id).toBe(timeIdBound("evt", at));
      expect(newId("evt", at).startsWith(timeIdBound("evt", at))).toBe(true);
    }
  });
});

describe("retention", () => {
  it("makes day partitions ahead and drops only the days past retention", async () => {
    const first = await maintainPartitions(database.sql, retention, new Date(base));
    expect(first.failed).toEqual([]);
    expect(first.created).toContain(`events_p${new Date(base).toISOString().slice(0, 10).replace(/-/g, "")}`);
    expect(first.created.filter((n) => n.startsWith("idempotency_keys_p")).length).toBe(
      retention.aheadDays + 1,
    );

    const old = await insertEvent(base);
    const unpublished = await insertEvent(base + DAY, false);
    const young = await insertEvent(base + 3 * DAY);

    // As of the moment day 0 (base's day) has just passed retention, day 1 not yet.
    const dayEnd = Math.floor(base / DAY) * DAY + DAY;
    const justPast = new Date(dayEnd + retention.eventsMs + 1);
    const pass = await maintainPartitions(database.sql, retention, justPast);
    expect(pass.failed).toEqual([]);
    const dayName = (ms: number) => new Date(ms).toISOString().slice(0, 10).replace(/-/g, "");
    expect(pass.dropped).toContain(`events_p${dayName(base)}`);
    expect(pass.dropped).toContain(`processed_events_p${dayName(base)}`);
    expect(pass.dropped).not.toContain(`events_p${dayName(base + DAY)}`);

    const ids = (
      await database.sql<{ id: string }[]>`select id from events where partner_id = 'ptr_retention'`
    ).map((r) => r.id);
    expect(ids).not.toContain(old);
    expect(ids).toEqual(expect.arrayContaining([unpublished, young]));
    const processed = await database.sql`select 1 from processed_events where event_id = ${old}`;
    expect(processed.length).toBe(0);

    // A day later day 1 is past retention too, but its unpublished event keeps it.
    const later = await maintainPartitions(database.sql, retention, new Date(justPast.getTime() + DAY));
    expect(later.kept).toContain(`events_p${dayName(base + DAY)}`);
    expect(later.dropped).toContain(`processed_events_p${dayName(base + DAY)}`);
    expect(await partitionsOf("events")).toContain(`events_p${dayName(base + DAY)}`);
    expect(await partitionsOf("events")).toContain("events_default");
  });

  it("a re-drive since a time inside the window reads every event from then on, across partitions", async () => {
    const t0 = base + 20 * DAY;
    await maintainPartitions(database.sql, retention, new Date(t0));
    const made: string[] = [];
    for (let h = 0; h < 72; h += 12) made.push(await insertEvent(t0 + h * HOUR));
    const since = new Date(t0 + 30 * HOUR);
    const page1 = await eventsSince(database.sql, since, { limit: 2 });
    const page2 = await eventsSince(database.sql, since, { limit: 10, afterId: page1.at(-1)?.id });
    const read = [...page1, ...page2].map((e) => e.id).filter((id) => made.includes(id));
    expect(read).toEqual(made.filter((id) => id >= timeIdBound("evt", since.getTime())));
    expect(read.length).toBe(3);
  });
});

describe("idempotency keys across day partitions", () => {
  const idemScope = { partnerId: "ptr_idem", livemode: false };
  const yesterday = () => new Date(Date.now() - DAY);

  it("a key claimed yesterday is not claimed again today", async () => {
    await database.sql`
      insert into idempotency_keys (partner_id, livemode, key, request_hash, recovery_point, created_at)
      values ('ptr_idem', false, 'k-yesterday', 'h', 'finished', ${yesterday()})`;
    expect(await claimKey(database.sql, idemScope, "k-yesterday", "h")).toBe(false);
    const rows =
      await database.sql`select 1 from idempotency_keys where partner_id = 'ptr_idem' and key = 'k-yesterday'`;
    expect(rows.length).toBe(1);
  });

  it("of two claims racing over midnight exactly one wins; a rolled-back claim frees the key", async () => {
    for (const outcome of ["commit", "rollback"] as const) {
      const key = `k-race-${outcome}`;
      let releaseFirst!: () => void;
      const held = new Promise<void>((r) => {
        releaseFirst = r;
      });
      let inserted!: () => void;
      const firstInserted = new Promise<void>((r) => {
        inserted = r;
      });
      // The first claim, in yesterday's partition, stays uncommitted while the second one runs.
      const first = database.sql
        .begin(async (tx) => {
          await tx`
            insert into idempotency_keys (partner_id, livemode, key, request_hash, recovery_point, created_at)
            values ('ptr_idem', false, ${key}, 'h', 'started', ${yesterday()})`;
          inserted();
          await held;
          if (outcome === "rollback") throw new Error("rolled back");
        })
        .catch((err: Error) => err.message);
      await firstInserted;
      const second = claimKey(database.sql, idemScope, key, "h");
      // Let the first finish only once the second waits on the key's lock (a real race).
      for (;;) {
        const [w] = await database.sql<{ n: number }[]>`
          select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted`;
        if ((w?.n ?? 0) > 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      releaseFirst();
      await first;
      expect(await second).toBe(outcome === "rollback");
      const rows =
        await database.sql`select 1 from idempotency_keys where partner_id = 'ptr_idem' and key = ${key}`;
      expect(rows.length).toBe(1);
    }
  });
});
