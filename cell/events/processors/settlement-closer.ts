// Closes daily settlement batches once their day is over, with a day of grace for late events
// (a refund processed after midnight still belongs to the day it was made). A closed batch is the
// figure paid out for that day.
import type { Logger } from "../../../shared/logger.ts";
import type { Sql } from "../../db/client.ts";

export async function closeSettledDays(sql: Sql): Promise<number> {
  const rows = await sql`
    update settlements set status = 'closed'
    where status = 'open' and day < to_char((now() at time zone 'utc')::date - 1, 'YYYY-MM-DD')
    returning id`;
  return rows.length;
}

export function startSettlementCloser(sql: Sql, log: Logger, intervalMs = 60_000) {
  const tick = () =>
    closeSettledDays(sql).then(
      (n) => n > 0 && log.info({ closed: n }, "settlement batches closed"),
      (err: unknown) => log.warn({ err: (err as Error).message }, "closing settlement batches failed"),
    );
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  void tick();
  return { stop: () => clearInterval(timer) };
}
