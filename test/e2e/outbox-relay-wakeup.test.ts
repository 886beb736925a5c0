// The relay is woken by Postgres when events are written (trigger + LISTEN, migration 0005), not
// by polling: with its safety-net poll set to a minute, new events still reach JetStream.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventsStream } from "../../cell/events/streams.ts";
import { count, type EventsCell, eventually, startEventsCell } from "../events-cell.ts";

let cell: EventsCell;

beforeAll(async () => {
  cell = await startEventsCell({ workerEnv: { RELAY_IDLE_MS: "60000" } });
  await cell.worker("relay");
});
afterAll(async () => {
  await cell?.stop();
});

describe("outbox relay wake-up", () => {
  it("publishes events written after the relay went idle, long before its next poll", async () => {
    const { partnerId } = await cell.partner("Wake-up");
    // Let the relay drain the (empty) outbox and go to sleep for its minute.
    await new Promise((r) => setTimeout(r, 500));
    const { sql } = cell;
    const started = Date.now();
    for (const n of [1, 2]) {
      const id = `evt_wakeup${n}`;
      await sql`insert into events (id, partner_id, livemode, type, data)
        values (${id}, ${partnerId}, false, 'payment.succeeded', ${sql.json({ id: `pay_wakeup${n}` })})`;
      await eventually(
        `${id} published`,
        async () =>
          (await count(sql`select count(*) as n from events where id = ${id} and published_at is null`)) ===
          0,
        30_000,
      );
    }
    // Both went out within the relay's first sleep: only a notification can have woken it.
    expect(Date.now() - started).toBeLessThan(60_000);
    const stream = await (await cell.nc.jetstreamManager()).streams.info(eventsStream(cell.cellId));
    expect(stream.state.messages).toBeGreaterThanOrEqual(2);
  });
});
