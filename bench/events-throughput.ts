// Events per second through the outbox relay and the core processors, on this machine:
// `npx tsx bench/events-throughput.ts [events] [processors]`. Inserts that many payment.captured
// rows straight into the outbox (as the gateway would, in one go), then times (1) until the relay
// has published them all and (2) until ledger and settlement have both applied every one.
import { count, eventually, startEventsCell } from "../test/events-cell.ts";

const events = Number(process.argv[2] ?? 5000);
const processorCount = Number(process.argv[3] ?? 2);

const cell = await startEventsCell({ cellId: "cell-bench", workerEnv: { LOG_LEVEL: "warn" } });
try {
  await cell.worker("relay");
  for (let i = 0; i < processorCount; i++) await cell.worker("processor", i);
  const { partnerId } = await cell.partner("Throughput");
  const { sql } = cell;
  const applied = (consumer: string) =>
    count(sql`select count(*) as n from processed_events where consumer = ${consumer}`);

  const t0 = performance.now();
  await sql`insert into events (id, partner_id, livemode, type, data)
    select 'evt_bench' || lpad(g::text, 7, '0'), ${partnerId}, false, 'payment.captured',
      jsonb_build_object('id', 'pay_bench' || g, 'object', 'payment', 'currency', 'EUR', 'amount_captured', 1000 + g)
    from generate_series(1, ${events}) g`;
  let publishedMs = 0;
  await eventually(
    `${events} events through the pipeline`,
    async () => {
      if (
        !publishedMs &&
        (await count(sql`select count(*) as n from events where published_at is null`)) === 0
      ) {
        publishedMs = performance.now() - t0;
      }
      return (
        publishedMs > 0 && (await applied("ledger")) === events && (await applied("settlement")) === events
      );
    },
    600_000,
  );
  const totalMs = performance.now() - t0;
  const rate = (ms: number) => Math.round((events / ms) * 1000);
  console.log(`events:            ${events} payment.captured (1 relay, ${processorCount} processors)`);
  console.log(`relay published:   ${publishedMs.toFixed(0)} ms  → ${rate(publishedMs)} events/s`);
  console.log(`ledger+settlement: ${totalMs.toFixed(0)} ms  → ${rate(totalMs)} events/s end to end`);
} finally {
  await cell.stop();
}
