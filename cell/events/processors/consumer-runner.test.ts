// The consumer runner on a real NATS JetStream and Postgres, with the real ledger and settlement
// handlers: a backlog is applied in batches, a poison event in a batch is retried and
// dead-lettered on its own while the rest is applied, and every message ends acked or terminated.
import { connect, type NatsConnection } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { natsConnectAuth } from "../../../shared/nats-auth.ts";
import { type ProcessorCell, startProcessorCell } from "../../../test/processor-cell.ts";
import { partnerPayableBalances } from "../../db/queries/ledger.ts";
import { provisionPartner } from "../../partners/provision.ts";
import type { EventEnvelope } from "../envelope.ts";
import { deadLetterStream, ensureStreams, eventSubject, eventsStream } from "../streams.ts";
import { deadLetterHeaders, startConsumerRunners } from "./consumer-runner.ts";
import type { EventHandler, ProcessorDeps } from "./event-handler.ts";
import { createLedgerHandler, DEFAULT_FEE_BPS, feeFor } from "./ledger.ts";
import { createSettlementHandler } from "./settlement.ts";

const CELL = "cell-test";
let cell: ProcessorCell;
let database: ProcessorCell["database"];
let nc: NatsConnection;
let deps: ProcessorDeps;

beforeAll(async () => {
  cell = await startProcessorCell(CELL, 8);
  database = cell.database;
  deps = cell.deps;
  nc = await connect({
    servers: cell.infra.natsUrl,
    ...natsConnectAuth({ seed: cell.infra.natsUsers.operator.seed }),
  });
  await ensureStreams(await nc.jetstreamManager(), CELL);
});
afterAll(async () => {
  await nc?.close();
  await cell?.stop();
});

/** The handler, telling `sizes` how many events each handleBatch call got. */
const counting = (h: EventHandler, sizes: number[]): EventHandler => ({
  ...h,
  handleBatch: async (events) => {
    sizes.push(events.length);
    await h.handleBatch!(events);
  },
});

async function until(what: string, done: () => Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("consumer runner with batches", () => {
  it("applies a backlog in batches; a poison event is dead-lettered alone, a duplicate applied once, all acked", async () => {
    const { partnerId } = await provisionPartner(database.db, { name: "Runner" });
    const js = nc.jetstream();
    const subject = eventSubject(CELL, partnerId, "payment.captured");
    const created = Math.floor(Date.now() / 1000);
    const event = (i: number): EventEnvelope => ({
      id: `evt_run${String(i).padStart(5, "0")}`,
      type: "payment.captured",
      partner_id: partnerId,
      livemode: false,
      cell_id: CELL,
      created,
      data: { id: `pay_run${i}`, object: "payment", currency: "EUR", amount_captured: 1000 + i },
    });
    const good = Array.from({ length: 300 }, (_, i) => event(i));
    const poison = { ...event(9999), data: { id: "pay_no_amount" } };
    // The backlog is in the stream before the runners start: it is what batches are made of.
    for (const [i, e] of good.entries()) {
      await js.publish(subject, JSON.stringify(e), { msgID: e.id });
      if (i === 150) {
        await js.publish(subject, JSON.stringify(poison), { msgID: poison.id });
        await js.publish(subject, "{not json", { msgID: "runner-unparseable" });
      }
    }
    // The same event again past the stream's duplicate check (a relay republishing much later).
    await js.publish(subject, JSON.stringify(good[7]), { msgID: "runner-republished" });

    const sizes = { ledger: [] as number[], settlement: [] as number[] };
    const outcomes = new Map<string, number>();
    const consumers = await startConsumerRunners(
      [
        counting(createLedgerHandler(deps), sizes.ledger),
        counting(createSettlementHandler(deps), sizes.settlement),
      ],
      {
        cellId: CELL,
        js,
        jsm: await nc.jetstreamManager(),
        log: deps.log,
        serverVersion: nc.info?.version ?? "0.0.0",
        maxDeliver: 3,
        retryBaseMs: 50,
        retryMaxMs: 200,
        maxBatch: 64,
        onHandled: (consumer, outcome) => {
          const key = `${consumer} ${outcome}`;
          outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
        },
      },
    );
    const jsm = await nc.jetstreamManager();
    try {
      await until("every message settled by both consumers", async () => {
        for (const name of ["ledger", "settlement"]) {
          const info = await jsm.consumers.info(eventsStream(CELL), name);
          if (info.num_pending > 0 || info.num_ack_pending > 0) return false;
        }
        return true;
      });

      // Batches were used, none larger than maxBatch.
      for (const s of [sizes.ledger, sizes.settlement]) {
        expect(Math.max(...s)).toBeGreaterThan(1);
        expect(Math.max(...s)).toBeLessThanOrEqual(64);
      }
      // Every good event applied once by each consumer, the poison one by neither.
      const processed = await database.sql<{ consumer: string; n: number }[]>`
        select consumer, count(*)::int as n from processed_events
        where event_id like 'evt_run%' group by consumer order by consumer`;
      expect(processed).toEqual([
        { consumer: "ledger", n: 300 },
        { consumer: "settlement", n: 300 },
      ]);
      // The ledger and the day's settlement agree to the cent.
      const gross = good.reduce((s, _, i) => s + 1000 + i, 0);
      const fees = good.reduce((s, _, i) => s + feeFor(1000 + i, DEFAULT_FEE_BPS), 0);
      expect(await partnerPayableBalances(database.sql, { partnerId: partnerId, livemode: false })).toEqual([
        { currency: "EUR", amount: gross - fees },
      ]);
      const [stl] = await database.sql<{ gross: number; fee: number; net: number; payments: number }[]>`
        select gross_amount as gross, fee_amount as fee, net_amount as net, payment_count as payments
        from settlements where partner_id = ${partnerId}`;
      expect(stl).toEqual({ gross, fee: fees, net: gross - fees, payments: 300 });

      // The poison event: retried alone, then dead-lettered by each consumer; the unparseable
      // message at once. Each consumer's outcomes: 301 ok (the republished copy too), 2 retries.
      const info = await jsm.streams.info(deadLetterStream(CELL));
      const letters = [];
      for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
        const m = await jsm.streams.getMessage(deadLetterStream(CELL), { seq });
        letters.push({
          consumer: m.header.get(deadLetterHeaders.consumer),
          eventId: m.header.get(deadLetterHeaders.eventId),
          reason: m.header.get(deadLetterHeaders.reason).split(";")[0]!.split(":")[0],
        });
      }
      expect(letters.sort((a, b) => (a.consumer + a.reason < b.consumer + b.reason ? -1 : 1))).toEqual([
        { consumer: "ledger", eventId: poison.id, reason: "failed 3 times" },
        { consumer: "ledger", eventId: "", reason: "not an event envelope" },
        { consumer: "settlement", eventId: poison.id, reason: "failed 3 times" },
        { consumer: "settlement", eventId: "", reason: "not an event envelope" },
      ]);
      expect(Object.fromEntries(outcomes)).toEqual({
        "ledger ok": 301,
        "ledger retry": 2,
        "ledger dead": 1,
        "settlement ok": 301,
        "settlement retry": 2,
        "settlement dead": 1,
      });

      // Quiet again: a lone event is applied in a batch of its own, not held for company.
      sizes.ledger.length = 0;
      const lone = event(5000);
      await js.publish(subject, JSON.stringify(lone), { msgID: lone.id });
      await until("the lone event in the ledger", async () => sizes.ledger.length > 0);
      expect(sizes.ledger).toEqual([1]);
    } finally {
      await consumers.stop();
    }
  });
});
