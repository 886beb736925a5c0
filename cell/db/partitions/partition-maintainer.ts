// Keeps the time-partitioned tables (partitioned-tables.ts) bounded: makes day partitions ahead of
// time and drops whole days once past their retention, instead of DELETEing rows (no dead tuples,
// no vacuum debt, constant cost whatever the volume). Our own ~150 lines rather than pg_partman:
// three of the five tables are partitioned by our text ids (time-prefixed base 36), which
// pg_partman does not know, and the extension would be one more package, preload library and
// background worker per cell, whose clock a test cannot drive. Every processor of a cell runs it;
// an advisory lock lets one pass run at a time.

import { timeIdBound } from "../../../shared/ids.ts";
import type { Logger } from "../../../shared/logger.ts";
import type { Sql } from "../client.ts";
import { type PartitionedTable, partitionedTables } from "./partitioned-tables.ts";
import type { RetentionConfig } from "./retention-config.ts";

const DAY_MS = 24 * 60 * 60 * 1000;
/** One advisory lock key for every maintenance pass of the cell. */
const MAINTENANCE_LOCK = 7_410_014;

export interface MaintenanceResult {
  created: string[];
  dropped: string[];
  /** Past retention but still holding rows that must outlive it (see keepWhile). */
  kept: string[];
  failed: { partition: string; error: string }[];
}

const dayStart = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;
const dayName = (ms: number) => new Date(ms).toISOString().slice(0, 10).replace(/-/g, "");
const parseDay = (yyyymmdd: string) =>
  Date.UTC(Number(yyyymmdd.slice(0, 4)), Number(yyyymmdd.slice(4, 6)) - 1, Number(yyyymmdd.slice(6, 8)));

/** The SQL literal of a partition bound at `ms` for this table's key. */
function bound(t: PartitionedTable, ms: number): string {
  const value = t.key.kind === "id" ? timeIdBound(t.key.prefix, ms) : new Date(ms).toISOString();
  return `'${value}'`;
}

/** The partitions of a table with the end of the time range each covers (null: the default). */
async function partitionsOf(sql: Sql, table: string): Promise<{ name: string; upperMs: number | null }[]> {
  const rows = await sql<{ name: string }[]>`
    select c.relname as name from pg_inherits i
    join pg_class c on c.oid = i.inhrelid join pg_class p on p.oid = i.inhparent
    where p.relname = ${table} and p.relnamespace = 'public'::regnamespace`;
  return rows.map(({ name }) => {
    const day = /_p(\d{8})$/.exec(name);
    if (day?.[1]) return { name, upperMs: parseDay(day[1]) + DAY_MS };
    const upto = /_upto(\d{8})$/.exec(name);
    if (upto?.[1]) return { name, upperMs: parseDay(upto[1]) };
    return { name, upperMs: null };
  });
}

/** One pass over every table, as of `now`. Returns what it did; a failed step is retried next pass. */
export async function maintainPartitions(
  sql: Sql,
  retention: RetentionConfig,
  now: Date,
  tables: readonly PartitionedTable[] = partitionedTables,
): Promise<MaintenanceResult> {
  const result: MaintenanceResult = { created: [], dropped: [], kept: [], failed: [] };
  // One connection for the pass: the advisory lock and the lock timeout belong to a session.
  const conn = await sql.reserve();
  try {
    const [lock] = await conn<{ ok: boolean }[]>`select pg_try_advisory_lock(${MAINTENANCE_LOCK}) as ok`;
    if (!lock?.ok) return result;
    try {
      // A short lock timeout: DDL on a partitioned table waits for its readers, and every query
      // queued behind it would wait too. A step that times out is retried next pass.
      await conn`set lock_timeout = '3s'`;
      for (const t of tables) await maintainTable(conn, t, retention, now.getTime(), result);
    } finally {
      await conn`reset lock_timeout`;
      await conn`select pg_advisory_unlock(${MAINTENANCE_LOCK})`;
    }
  } finally {
    conn.release();
  }
  return result;
}

async function maintainTable(
  sql: Sql,
  t: PartitionedTable,
  retention: RetentionConfig,
  nowMs: number,
  result: MaintenanceResult,
): Promise<void> {
  const existing = await partitionsOf(sql, t.table);
  const names = new Set(existing.map((p) => p.name));
  // Days before the newest archive bound are covered by that archive partition already.
  const coveredUpTo = Math.max(
    0,
    ...existing.filter((p) => p.name.includes("_upto")).map((p) => p.upperMs ?? 0),
  );
  for (let day = dayStart(nowMs), i = 0; i <= retention.aheadDays; day += DAY_MS, i++) {
    const name = `${t.table}_p${dayName(day)}`;
    if (names.has(name) || day < coveredUpTo) continue;
    const created = await ddl(
      sql,
      name,
      result,
      `create table "${name}" partition of "${t.table}" for values from (${bound(t, day)}) to (${bound(t, day + DAY_MS)})`,
    );
    if (created) result.created.push(name);
  }
  const cutoff = nowMs - retention[t.retention];
  for (const p of existing) {
    if (p.upperMs === null || p.upperMs > cutoff) continue;
    if (t.keepWhile) {
      const [busy] = await sql.unsafe(`select 1 from "${p.name}" where ${t.keepWhile} limit 1`);
      if (busy) {
        result.kept.push(p.name);
        continue;
      }
    }
    if (await ddl(sql, p.name, result, `drop table "${p.name}"`)) result.dropped.push(p.name);
  }
}

async function ddl(
  sql: Sql,
  partition: string,
  result: MaintenanceResult,
  statement: string,
): Promise<boolean> {
  try {
    await sql.unsafe(statement);
    return true;
  } catch (err) {
    result.failed.push({ partition, error: (err as Error).message });
    return false;
  }
}

/** Runs a pass at start and every intervalMs; `clock` is the time the pass acts as of. */
export function startPartitionMaintainer(
  sql: Sql,
  log: Logger,
  retention: RetentionConfig,
  opts: { intervalMs?: number; clock?: () => Date } = {},
) {
  const clock = opts.clock ?? (() => new Date());
  let running: Promise<unknown> = Promise.resolve();
  const tick = () => {
    running = maintainPartitions(sql, retention, clock()).then(
      (r) => {
        if (r.created.length + r.dropped.length > 0) {
          log.info({ created: r.created, dropped: r.dropped }, "partitions maintained");
        }
        if (r.kept.length > 0)
          log.warn({ kept: r.kept }, "partitions past retention kept: rows still in use");
        for (const f of r.failed) log.warn(f, "partition maintenance step failed; retried next pass");
      },
      (err: unknown) => log.warn({ err: (err as Error).message }, "partition maintenance failed"),
    );
  };
  const timer = setInterval(tick, opts.intervalMs ?? 10 * 60_000);
  timer.unref();
  tick();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
