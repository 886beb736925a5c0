// Postgres is the source of truth, JetStream is transport: a cell's NATS is stopped, its store
// folder deleted and NATS started again empty (no streams, no consumers, no duplicate window).
// The relay and processors keep running; a re-drive through the cell's internal API publishes
// every event again from the outbox. The ledger, the balance and the settlements are unchanged to
// the cent, and the partner's webhook endpoint got each event once per event id.
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { NatsConnection } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventsStream } from "../../cell/events/streams.ts";
import { findBinaries } from "../../platform/binaries.ts";
import type { ManagedProcess } from "../../platform/managed-process.ts";
import { cellNatsPermissions } from "../../platform/nats-credentials.ts";
import { type NatsServer, startNats } from "../../platform/nats-server.ts";
import { redriveResponse } from "../../shared/cell-api/contract-redrive.ts";
import { count, type EventsCell, eventually, startEventsCell } from "../events-cell.ts";
import { card, client } from "../harness.ts";
import { type Receiver, startReceiver } from "../webhook-receiver.ts";

const CELL = "cell-nats-loss";
const ADMIN_TOKEN = "test-cell-admin-token-0123456789";
let cell: EventsCell;
let receiver: Receiver;
let restartedNats: NatsServer | undefined;
const workers: ManagedProcess[] = [];

beforeAll(async () => {
  cell = await startEventsCell({
    cellId: CELL,
    workerEnv: { PROCESSOR_ACK_WAIT_MS: "3000", PROCESSOR_RETRY_BASE_MS: "100" },
    gatewayEnv: { CELLPAY_CELL_ADMIN_TOKEN: ADMIN_TOKEN },
  });
  workers.push(await cell.worker("relay"), await cell.worker("processor"));
  receiver = await startReceiver(() => 200);
}, 120_000);
afterAll(async () => {
  await receiver?.close();
  await Promise.all(workers.map((w) => w.stop()));
  await restartedNats?.stop();
  await cell?.stop();
});

/** What the partner and the books see: compared before the loss and after the re-drive. */
async function books(call: ReturnType<typeof client>, partnerId: string) {
  const { sql } = cell;
  const balance = (await call("GET", "/v1/balance")).body;
  const settlements = (
    (await call("GET", "/v1/settlements?limit=100")).body.data as Record<string, unknown>[]
  )
    .map((s) => ({
      id: s.id,
      currency: s.currency,
      gross: s.gross_amount,
      fee: s.fee_amount,
      refunded: s.refunded_amount,
      net: s.net_amount,
      payments: s.payment_count,
      refunds: s.refund_count,
    }))
    .sort((a, b) => String(a.id).localeCompare(String(b.id)));
  const ledger = await sql<{ account: string; currency: string; total: string; lines: number }[]>`
    select account, currency, sum(amount)::text as total, count(*)::int as lines from ledger_entries
    where partner_id = ${partnerId} group by account, currency order by account, currency`;
  const processed = await count(sql`select count(*) as n from processed_events`);
  const deliveries = await count(sql`select count(*) as n from webhook_deliveries`);
  return { balance, settlements, ledger, processed, deliveries };
}

/** Everything in the outbox is in the stream and every consumer has acknowledged all of it. */
async function caughtUp(nc: NatsConnection): Promise<boolean> {
  const { sql } = cell;
  if ((await count(sql`select count(*) as n from events where published_at is null`)) > 0) return false;
  try {
    const jsm = await nc.jetstreamManager();
    const stream = await jsm.streams.info(eventsStream(CELL));
    if (stream.state.messages !== (await count(sql`select count(*) as n from events`))) return false;
    for (const consumer of ["ledger", "settlement", "webhooks"]) {
      const info = await jsm.consumers.info(eventsStream(CELL), consumer);
      if (info.num_pending > 0 || info.num_ack_pending > 0) return false;
    }
    return (await count(sql`select count(*) as n from webhook_deliveries where status <> 'succeeded'`)) === 0;
  } catch {
    return false; // stream or consumer not made yet
  }
}

describe("events survive the loss of NATS", () => {
  it("JetStream store deleted, events re-driven from the outbox: books unchanged to the cent, each webhook once per event id", async () => {
    const { partnerId, apiKey } = await cell.partner("NatsLoss");
    const call = client(cell.gatewayUrl, apiKey);
    expect(
      (await call("POST", "/v1/webhook_endpoints", { url: receiver.url, enabled_events: ["*"] })).status,
    ).toBe(201);
    const since = new Date(Date.now() - 1000).toISOString();
    for (let i = 0; i < 40; i++) {
      const currency = i % 5 === 0 ? "JPY" : "EUR";
      const pay = await call(
        "POST",
        "/v1/payments",
        {
          amount: 1000 + i * 37,
          currency,
          payment_method: card(i % 9 === 8 ? "4000000000000002" : undefined),
        },
        { "idempotency-key": `loss-${i}` },
      );
      expect(pay.status).toBe(201);
      if (i % 4 === 1 && pay.body.status === "succeeded") {
        const refund = await call("POST", "/v1/refunds", { payment_id: pay.body.id, amount: 100 + i });
        expect(refund.status).toBe(201);
      }
    }
    await eventually("every event applied and delivered", () => caughtUp(cell.nc));
    const before = await books(call, partnerId);
    const eventIds = (
      await cell.sql<{ id: string }[]>`select id from events where partner_id = ${partnerId}`
    ).map((r) => r.id);
    expect(receiver.requests.length).toBe(eventIds.length);
    expect(before.ledger.length).toBeGreaterThan(0);

    // NATS dies and comes back with an empty store, on the same port, with the same credentials.
    const natsProcess = cell.infra.processes[2]!;
    await natsProcess.stop("SIGINT", 10_000);
    const store = join(cell.infra.dataDir, "nats");
    await rm(store, { recursive: true, force: true });
    restartedNats = await startNats({
      bin: (await findBinaries()).natsServer,
      dataDir: store,
      port: Number(new URL(cell.infra.natsUrl).port),
      logFile: join(cell.infra.dataDir, "logs", "nats-restarted.log"),
      name: `${CELL}-nats`,
      permissions: cellNatsPermissions(CELL),
      credentialsDir: join(cell.infra.dataDir, "nats-credentials"),
    });
    // (The test's own connection reconnects first: asking too early times out.)
    await eventually("the relay to make the stream again", async () =>
      cell.nc
        .jetstreamManager({ timeout: 2_000 })
        .then((jsm) => jsm.streams.info(eventsStream(CELL)))
        .then(
          (i) => i.state.messages === 0,
          () => false,
        ),
    );

    // The re-drive, as the control plane asks it (cells redrive <cell> --since <time>).
    const res = await fetch(`${cell.internalUrl}/internal/v1/events/redrive`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ since }),
    });
    expect(res.status).toBe(200);
    const redrive = redriveResponse.parse(await res.json());
    expect(redrive.requeued).toBe(await count(cell.sql`select count(*) as n from events`));

    await eventually("the re-driven events applied (or dropped as duplicates)", () => caughtUp(cell.nc));
    const after = await books(call, partnerId);
    expect(after).toEqual(before);
    // Each event reached the endpoint once: the re-driven copies found their delivery recorded.
    const perEvent = new Map<string, number>();
    for (const r of receiver.requests) {
      const id = String(r.headers["cellpay-event-id"]);
      perEvent.set(id, (perEvent.get(id) ?? 0) + 1);
    }
    expect([...perEvent.keys()].sort()).toEqual([...eventIds].sort());
    expect([...perEvent.values()].filter((n) => n !== 1)).toEqual([]);
    const rows = await cell.sql<{ n: number }[]>`
      select count(*)::int as n from webhook_deliveries where partner_id = ${partnerId}
      group by endpoint_id, event_id having count(*) > 1`;
    expect(rows).toEqual([]);

    // The pipeline goes on: a new payment's events flow through the new stream.
    const fresh = await call(
      "POST",
      "/v1/payments",
      { amount: 4242, currency: "EUR", payment_method: card() },
      { "idempotency-key": "loss-after" },
    );
    expect(fresh.status).toBe(201);
    await eventually("the new payment's events delivered", async () =>
      receiver.requests.some((r) => {
        try {
          return (JSON.parse(r.body) as { data?: { id?: string } }).data?.id === fresh.body.id;
        } catch {
          return false;
        }
      }),
    );
    await eventually("caught up again", () => caughtUp(cell.nc));
    const ledgerLines = await count(
      cell.sql`select count(*) as n from ledger_entries where partner_id = ${partnerId}`,
    );
    expect(ledgerLines).toBeGreaterThan(before.ledger.reduce((n, l) => n + l.lines, 0));
  }, 300_000);
});
