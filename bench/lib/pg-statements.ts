// What a cell's Postgres spent its time on during a bench run: pg_stat_statements' top statements
// and the tables read by sequential scans (bench/cost-probe.ts --pg-stats).
import postgres from "postgres";

/** Zeroes the counters, so the printout covers the measured rounds only. */
export async function resetStatements(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql`create extension if not exists pg_stat_statements`;
    await sql`select pg_stat_statements_reset()`;
  } finally {
    await sql.end();
  }
}

/** The top statements since the reset, and the tables read by sequential scans. */
export async function printStatements(name: string, url: string): Promise<void> {
  const sql = postgres(url, {
    max: 1,
    onnotice: () => {},
  });
  try {
    await sql`create extension if not exists pg_stat_statements`;
    const rows = await sql<
      { calls: string; total_ms: number; mean_ms: number; rows: string; query: string }[]
    >`
      select calls::text, total_exec_time as total_ms, mean_exec_time as mean_ms, rows::text,
        left(query, 400) as query
      from pg_stat_statements order by total_exec_time desc limit 12`;
    console.log(`\n== ${name}: top statements (pg_stat_statements, whole run) ==`);
    for (const r of rows)
      console.log(
        `${r.total_ms.toFixed(0).padStart(8)} ms ${r.calls.padStart(7)} calls ${r.mean_ms.toFixed(3).padStart(8)} ms/call ${r.rows.padStart(7)} rows  ${r.query.replace(/\s+/g, " ").slice(0, 160)}`,
      );
    const scans = await sql<{ relname: string; seq_scan: string; seq_tup_read: string; idx_scan: string }[]>`
      select relname, seq_scan::text, seq_tup_read::text, coalesce(idx_scan, 0)::text as idx_scan
      from pg_stat_user_tables where seq_tup_read > 0 order by seq_tup_read desc limit 5`;
    console.log(`-- ${name}: tables read by sequential scans (since start) --`);
    for (const t of scans)
      console.log(
        `${t.relname}: ${t.seq_scan} seq scans, ${t.seq_tup_read} rows read; ${t.idx_scan} index scans`,
      );
  } catch (err) {
    console.log(`${name}: no pg_stat_statements (${(err as Error).message})`);
  } finally {
    await sql.end();
  }
}
