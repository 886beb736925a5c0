// The relay is woken by the writers after their commit (a datagram: cell/events/outbox-wake.ts),
// not by polling and not by a NOTIFY in the commit path: with its safety-net sweep set to a
// minute, new events still reach JetStream at once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOutboxWaker } from "../../cell/events/outbox-wake.ts";
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

const unpublished = (id: string) =>
  count(cell.sql`select count(*) as n from events where id = ${id} and published_at is null`);

describe("outbox relay wake-up", () => {
  it("publishes a payment's event as soon as the gateway committed it, long before the next sweep", async () => {
    const { apiKey } = await cell.partner("Wake-up gateway");
    // Let the relay drain the (empty) outbox and go to sleep for its minute.
    await new Promise((r) => setTimeout(r, 500));
    const started = Date.now();
    const res = await fetch(`${cell.gatewayUrl}/v1/payments`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({
        amount: 1200,
        currency: "EUR",
        payment_method: {
          type: "card",
          card: { number: "4242424242424242", exp_month: 12, exp_year: 2034, cvc: "123" },
        },
      }),
    });
    expect(res.status).toBe(201);
    const payment = (await res.json()) as { id: string };
    const [event] = await cell.sql<{ id: string }[]>`
      select id from events where data->>'id' = ${payment.id}`;
    expect(event).toBeDefined();
    await eventually(`${event!.id} published`, async () => (await unpublished(event!.id)) === 0, 30_000);
    // Within the relay's first sleep: only the gateway's wake-up can have woken it.
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it("publishes events any writer committed once it sends the wake-up", async () => {
    const { partnerId } = await cell.partner("Wake-up writer");
    await new Promise((r) => setTimeout(r, 500));
    const { sql } = cell;
    const waker = createOutboxWaker(cell.wakeAddress);
    const started = Date.now();
    try {
      for (const n of [1, 2]) {
        const id = `evt_wakeup${n}`;
        await sql`insert into events (id, partner_id, livemode, type, data)
          values (${id}, ${partnerId}, false, 'payment.succeeded', ${sql.json({ id: `pay_wakeup${n}` })})`;
        waker.wake();
        await eventually(`${id} published`, async () => (await unpublished(id)) === 0, 30_000);
      }
    } finally {
      waker.close();
    }
    expect(Date.now() - started).toBeLessThan(60_000);
    const stream = await (await cell.nc.jetstreamManager()).streams.info(eventsStream(cell.cellId));
    expect(stream.state.messages).toBeGreaterThanOrEqual(3);
  });

  it("commits events with no NOTIFY trigger on the outbox table", async () => {
    const triggers = await cell.sql`
      select tgname from pg_trigger where tgrelid = 'events'::regclass and not tgisinternal`;
    expect(triggers.map((t) => t.tgname)).not.toContain("events_notify_outbox");
  });
});
