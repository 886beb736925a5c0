// The webhook fan-out against a real Postgres: a batch makes the same deliveries as the events one
// by one (enabled endpoints that want the type, none for a partner without endpoints), a
// redelivered event adds none, and each partner that got deliveries is notified.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CellInfra, startTestCellInfra } from "../../platform/cell-infra.ts";
import { createLogger } from "../../shared/logger.ts";
import { createDb } from "../db/client.ts";
import { migrateCellDatabase } from "../db/migrate.ts";
import { DELIVERIES_CHANNEL, disableEndpoint, insertEndpoint } from "../db/queries/webhooks.ts";
import type { EventEnvelope } from "../events/envelope.ts";
import type { EventHandler } from "../events/processors/event-handler.ts";
import { createWebhookHandler } from "./event-fan-out.ts";

let infra: CellInfra;
let database: ReturnType<typeof createDb>;
let fanOut: EventHandler;
let seq = 0;

beforeAll(async () => {
  infra = await startTestCellInfra();
  await migrateCellDatabase(infra.postgresUrl);
  database = createDb(infra.postgresUrl, { max: 4 });
  fanOut = createWebhookHandler({
    cellId: "cell-test",
    sql: database.sql,
    db: database.db,
    // The fan-out never opens a secret.
    vault: undefined as never,
    log: createLogger({ service: "test", level: "silent" }),
    clock: () => new Date(),
  });
});
afterAll(async () => {
  await database?.end();
  await infra?.stop();
});

const event = (partnerId: string, type: string): EventEnvelope => ({
  id: `evt_fan${String(++seq).padStart(6, "0")}`,
  type,
  partner_id: partnerId,
  livemode: false,
  cell_id: "cell-test",
  created: Math.floor(Date.now() / 1000),
  data: { id: `pay_fan${seq}` },
});

async function endpoint(partnerId: string, events: string[], name: string) {
  const row = await insertEndpoint(
    database.sql,
    {
      id: `we_${name}`,
      partner_id: partnerId,
      url: `https://example.com/${name}`,
      description: null,
      mode: "test",
      enabled_events: events,
      secret_sealed: "sealed",
    },
    16,
  );
  return row!.id;
}

/** For each event, the endpoints it got a delivery for, with the delivery's status. */
async function deliveriesOf(events: EventEnvelope[]) {
  const rows = await database.sql<{ event_id: string; endpoint_id: string; status: string }[]>`
    select event_id, endpoint_id, status from webhook_deliveries
    where event_id = any(${events.map((e) => e.id)}::text[]) order by endpoint_id`;
  return events.map((e) =>
    rows.filter((r) => r.event_id === e.id).map((r) => `${r.endpoint_id} ${r.status}`),
  );
}

describe("webhook fan-out", () => {
  it("a batch makes the deliveries the events make one by one, once however often an event comes", async () => {
    const [a, b, quiet] = ["ptr_fan_a", "ptr_fan_b", "ptr_fan_quiet"];
    await endpoint(a, ["*"], "a_all");
    await endpoint(a, ["payment.captured"], "a_captures");
    await disableEndpoint(
      database.sql,
      { partnerId: a, livemode: false },
      await endpoint(a, ["*"], "a_disabled"),
    );
    await endpoint(b, ["refund.succeeded"], "b_refunds");
    const notified: string[] = [];
    const listening = await database.sql.listen(DELIVERIES_CHANNEL, (p) => notified.push(p));

    const shapes: [string, string][] = [
      [a, "payment.captured"],
      [a, "payment.authorized"],
      [b, "payment.captured"],
      [b, "refund.succeeded"],
      [quiet, "payment.captured"],
    ];
    const batched = shapes.map(([p, t]) => event(p, t));
    const single = shapes.map(([p, t]) => event(p, t));
    await fanOut.handleBatch!([...batched, batched[0]!, batched[3]!]);
    await fanOut.handleBatch!(batched);
    for (const e of single) await fanOut.handle(e);

    const expected = [
      ["we_a_all pending", "we_a_captures pending"],
      ["we_a_all pending"],
      [],
      ["we_b_refunds pending"],
      [],
    ];
    expect(await deliveriesOf(batched)).toEqual(expected);
    expect(await deliveriesOf(single)).toEqual(expected);
    const ids = await database.sql<{ id: string }[]>`
      select id from webhook_deliveries where event_id = any(${batched.map((e) => e.id)}::text[])`;
    expect(ids.every((r) => r.id.startsWith("wd_"))).toBe(true);

    // The first batch notified a and b once each, the redelivered batch nobody; then the events
    // one by one: a twice, b once.
    const deadline = Date.now() + 10_000;
    while (notified.length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await listening.unlisten();
    expect(notified.slice(0, 2).sort()).toEqual([a, b]);
    expect(notified.slice(2).sort()).toEqual([a, a, b]);
  });
});
