// Settlement batches against a real Postgres: several events of one partner and day in one batch
// add up to the same settlement as one by one, and a redelivered event is added once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProcessorCell, startProcessorCell } from "../../../test/processor-cell.ts";
import { provisionPartner } from "../../partners/provision.ts";
import type { EventEnvelope } from "../envelope.ts";
import type { EventHandler } from "./event-handler.ts";
import { DEFAULT_FEE_BPS, feeFor } from "./ledger.ts";
import { createSettlementHandler, settlementDay } from "./settlement.ts";

let cell: ProcessorCell;
let database: ProcessorCell["database"];
let settlement: EventHandler;
let seq = 0;

const today = Math.floor(Date.now() / 1000);
const yesterday = today - 86_400;

const captured = (partnerId: string, amount: number, currency = "EUR", created = today): EventEnvelope => ({
  id: `evt_stl${String(++seq).padStart(6, "0")}`,
  type: "payment.captured",
  partner_id: partnerId,
  livemode: false,
  cell_id: "cell-test",
  created,
  data: { id: `pay_stl${seq}`, object: "payment", currency, amount_captured: amount },
});
const refunded = (partnerId: string, amount: number, currency = "EUR"): EventEnvelope => ({
  id: `evt_stl${String(++seq).padStart(6, "0")}`,
  type: "refund.succeeded",
  partner_id: partnerId,
  livemode: false,
  cell_id: "cell-test",
  created: today,
  data: { id: `re_stl${seq}`, object: "refund", currency, amount },
});

/** A partner's settlements as the partner sees their totals, by currency and day. */
const settlementsOf = async (partnerId: string) =>
  database.sql<
    {
      currency: string;
      day: string;
      gross_amount: number;
      refunded_amount: number;
      fee_amount: number;
      net_amount: number;
      payment_count: number;
      refund_count: number;
      items: number;
    }[]
  >`
    select s.currency, s.day, s.gross_amount, s.refunded_amount, s.fee_amount, s.net_amount,
      s.payment_count, s.refund_count,
      (select count(*)::int from settlement_items i where i.settlement_id = s.id) as items
    from settlements s where s.partner_id = ${partnerId} order by s.currency, s.day`;

beforeAll(async () => {
  cell = await startProcessorCell();
  database = cell.database;
  settlement = createSettlementHandler(cell.deps);
});
afterAll(async () => {
  await cell?.stop();
});

describe("settlement batches", () => {
  it("adds several events of one partner and day in one batch to the same totals as one by one", async () => {
    const { partnerId: batched } = await provisionPartner(database.db, { name: "Batched" });
    const { partnerId: single } = await provisionPartner(database.db, { name: "One by one" });
    const eventsOf = (p: string) => [
      captured(p, 1999),
      captured(p, 10_000),
      refunded(p, 500),
      captured(p, 35),
      refunded(p, 1),
      captured(p, 5000, "JPY"),
      captured(p, 4200, "EUR", yesterday),
    ];
    await settlement.handleBatch!(eventsOf(batched));
    for (const e of eventsOf(single)) await settlement.handle(e);

    const fee = (a: number) => feeFor(a, DEFAULT_FEE_BPS);
    const eurFees = fee(1999) + fee(10_000) + fee(35);
    const expected = [
      {
        currency: "EUR",
        day: settlementDay(yesterday),
        gross_amount: 4200,
        refunded_amount: 0,
        fee_amount: fee(4200),
        net_amount: 4200 - fee(4200),
        payment_count: 1,
        refund_count: 0,
        items: 1,
      },
      {
        currency: "EUR",
        day: settlementDay(today),
        gross_amount: 1999 + 10_000 + 35,
        refunded_amount: 501,
        fee_amount: eurFees,
        net_amount: 1999 + 10_000 + 35 - eurFees - 501,
        payment_count: 3,
        refund_count: 2,
        items: 5,
      },
      {
        currency: "JPY",
        day: settlementDay(today),
        gross_amount: 5000,
        refunded_amount: 0,
        fee_amount: fee(5000),
        net_amount: 5000 - fee(5000),
        payment_count: 1,
        refund_count: 0,
        items: 1,
      },
    ].sort((a, b) => (a.currency + a.day < b.currency + b.day ? -1 : 1));
    expect(await settlementsOf(batched)).toEqual(expected);
    expect(await settlementsOf(single)).toEqual(expected);
  });

  it("adds to the day's open settlement, and adds an event repeated in the batch or applied before once", async () => {
    const { partnerId } = await provisionPartner(database.db, { name: "Redelivered" });
    const before = captured(partnerId, 1000);
    await settlement.handle(before);
    const fresh = [captured(partnerId, 2000), refunded(partnerId, 300)];
    await settlement.handleBatch!([fresh[0]!, before, fresh[0]!, fresh[1]!, fresh[1]!]);
    await settlement.handleBatch!([...fresh, before]);
    const fees = feeFor(1000, DEFAULT_FEE_BPS) + feeFor(2000, DEFAULT_FEE_BPS);
    expect(await settlementsOf(partnerId)).toEqual([
      {
        currency: "EUR",
        day: settlementDay(today),
        gross_amount: 3000,
        refunded_amount: 300,
        fee_amount: fees,
        net_amount: 3000 - 300 - fees,
        payment_count: 2,
        refund_count: 1,
        items: 3,
      },
    ]);
  });

  it("batches racing over one partner's day (several processors) add each event once", async () => {
    const { partnerId: a } = await provisionPartner(database.db, { name: "Racing A" });
    const { partnerId: b } = await provisionPartner(database.db, { name: "Racing B" });
    const events = Array.from({ length: 80 }, (_, i) =>
      captured(i % 2 ? a : b, 100 + i, i % 5 ? "EUR" : "JPY"),
    );
    await Promise.all([
      settlement.handleBatch!(events.slice(0, 50)),
      settlement.handleBatch!(events.slice(30).reverse()),
      settlement.handleBatch!(events.filter((_, i) => i % 4 === 0)),
      ...events.slice(70).map((e) => settlement.handle(e)),
    ]);
    const totals = await database.sql<{ gross: number; payments: number; items: number }[]>`
      select sum(gross_amount)::bigint as gross, sum(payment_count)::int as payments,
        (select count(*)::int from settlement_items where partner_id = any(${[a, b]}::text[])) as items
      from settlements where partner_id = any(${[a, b]}::text[])`;
    expect(totals[0]).toEqual({
      gross: events.reduce((s, _, i) => s + 100 + i, 0),
      payments: 80,
      items: 80,
    });
  });
});
