// The ledger against a real Postgres: fee math, every transaction balanced, and an event that is
// delivered twice written once, one by one and in batches.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProcessorCell, startProcessorCell } from "../../../test/processor-cell.ts";
import { partnerPayableBalances } from "../../db/queries/ledger.ts";
import { provisionPartner } from "../../partners/provision.ts";
import type { EventEnvelope } from "../envelope.ts";
import type { EventHandler } from "./event-handler.ts";
import {
  assertBalanced,
  createLedgerHandler,
  DEFAULT_FEE_BPS,
  feeFor,
  ledgerTransactionFor,
} from "./ledger.ts";

let cell: ProcessorCell;
let database: ProcessorCell["database"];
let ledger: EventHandler;
let seq = 0;

const captured = (partnerId: string, amount: number, currency = "EUR"): EventEnvelope => ({
  id: `evt_test${String(++seq).padStart(6, "0")}`,
  type: "payment.captured",
  partner_id: partnerId,
  livemode: false,
  cell_id: "cell-test",
  created: Math.floor(Date.now() / 1000),
  data: { id: `pay_test${seq}`, object: "payment", currency, amount_captured: amount },
});
const refunded = (partnerId: string, amount: number, currency = "EUR"): EventEnvelope => ({
  id: `evt_test${String(++seq).padStart(6, "0")}`,
  type: "refund.succeeded",
  partner_id: partnerId,
  livemode: false,
  cell_id: "cell-test",
  created: Math.floor(Date.now() / 1000),
  data: { id: `re_test${seq}`, object: "refund", currency, amount },
});

beforeAll(async () => {
  cell = await startProcessorCell();
  database = cell.database;
  ledger = createLedgerHandler(cell.deps);
});
afterAll(async () => {
  await cell?.stop();
});

describe("ledger fees", () => {
  it("takes floor(amount × bps / 10000), never rounding up", () => {
    expect(feeFor(1999, 290)).toBe(57); // 57.971
    expect(feeFor(34, 290)).toBe(0); // 0.986
    expect(feeFor(35, 290)).toBe(1); // 1.015
    expect(feeFor(100_000, 290)).toBe(2900);
    expect(feeFor(12_345, 0)).toBe(0);
  });

  it("balances every capture and refund transaction for any amount", () => {
    for (const amount of [1, 2, 33, 34, 35, 99, 1999, 10_000, 123_457, 99_999_999]) {
      for (const bps of [0, 1, 290, 333, 10_000]) {
        const tx = ledgerTransactionFor(captured("ptr_x", amount), bps)!;
        expect(tx.lines.reduce((s, l) => s + l.amount, 0)).toBe(0);
        expect(tx.lines.find((l) => l.account === "platform_fees")!.amount).toBe(-feeFor(amount, bps));
      }
      const rtx = ledgerTransactionFor(refunded("ptr_x", amount), 290)!;
      expect(rtx.lines.reduce((s, l) => s + l.amount, 0)).toBe(0);
    }
  });

  it("refuses to write an unbalanced transaction", () => {
    expect(() =>
      assertBalanced("evt_bad", [
        { account: "acquirer_clearing", currency: "EUR", amount: 100, objectId: "pay_1" },
        { account: "partner_payable", currency: "EUR", amount: -99, objectId: "pay_1" },
      ]),
    ).toThrow(/sum to 1/);
  });
});

describe("ledger on Postgres", () => {
  it("applies the partner's fee_bps, else the 2.9% default, and owes the partner captured − fee − refunded", async () => {
    const { partnerId: standard } = await provisionPartner(database.db, { name: "Standard fees" });
    const { partnerId: custom } = await provisionPartner(database.db, { name: "Custom fees" });
    await database.sql`update partners set settings = ${database.sql.json({ fee_bps: 100 })} where id = ${custom}`;

    await ledger.handle(captured(standard, 10_000));
    await ledger.handle(captured(standard, 1999));
    await ledger.handle(refunded(standard, 500));
    await ledger.handle(captured(standard, 5000, "JPY"));
    await ledger.handle(captured(custom, 10_000));

    const stdFees = feeFor(10_000, DEFAULT_FEE_BPS) + feeFor(1999, DEFAULT_FEE_BPS);
    expect(await partnerPayableBalances(database.sql, { partnerId: standard, livemode: false })).toEqual([
      { currency: "EUR", amount: 10_000 + 1999 - stdFees - 500 },
      { currency: "JPY", amount: 5000 - feeFor(5000, DEFAULT_FEE_BPS) },
    ]);
    expect(await partnerPayableBalances(database.sql, { partnerId: custom, livemode: false })).toEqual([
      { currency: "EUR", amount: 9900 },
    ]);
  });

  it("writes a redelivered event once, even when deliveries race", async () => {
    const { partnerId } = await provisionPartner(database.db, { name: "Redelivery" });
    const event = captured(partnerId, 4242);
    await Promise.all([ledger.handle(event), ledger.handle(event), ledger.handle(event)]);
    await ledger.handle(event);

    const lines = await database.sql<{ n: number }[]>`
      select count(*)::int as n from ledger_entries where transaction_id = ${event.id}`;
    expect(lines[0]!.n).toBe(3);
    const processed = await database.sql<{ n: number }[]>`
      select count(*)::int as n from processed_events where consumer = 'ledger' and event_id = ${event.id}`;
    expect(processed[0]!.n).toBe(1);
    expect(await partnerPayableBalances(database.sql, { partnerId: partnerId, livemode: false })).toEqual([
      { currency: "EUR", amount: 4242 - feeFor(4242, DEFAULT_FEE_BPS) },
    ]);
  });

  it("applies a batch in one go: an event twice in the batch, or applied before, is written once", async () => {
    const { partnerId } = await provisionPartner(database.db, { name: "Batch" });
    const before = captured(partnerId, 1000);
    await ledger.handle(before);
    const fresh = [captured(partnerId, 2000), refunded(partnerId, 300), captured(partnerId, 777, "JPY")];
    await ledger.handleBatch!([fresh[0]!, before, fresh[0]!, ...fresh.slice(1)]);
    // The whole batch redelivered (a process died before acking): nothing more.
    await ledger.handleBatch!([...fresh, before]);

    const lines = await database.sql<{ transaction_id: string; n: number }[]>`
      select transaction_id, count(*)::int as n from ledger_entries where partner_id = ${partnerId}
      group by transaction_id order by transaction_id`;
    expect(lines).toEqual(
      [before, ...fresh].map((e) => ({ transaction_id: e.id, n: e.type === "refund.succeeded" ? 2 : 3 })),
    );
    expect(await partnerPayableBalances(database.sql, { partnerId: partnerId, livemode: false })).toEqual([
      {
        currency: "EUR",
        amount: 1000 + 2000 - feeFor(1000, DEFAULT_FEE_BPS) - feeFor(2000, DEFAULT_FEE_BPS) - 300,
      },
      { currency: "JPY", amount: 777 - feeFor(777, DEFAULT_FEE_BPS) },
    ]);
  });

  it("writes nothing of a batch holding an event it cannot apply (the runner then goes one by one)", async () => {
    const { partnerId } = await provisionPartner(database.db, { name: "Poisoned batch" });
    const good = captured(partnerId, 5000);
    const poison: EventEnvelope = { ...captured(partnerId, 1), data: { id: "pay_no_amount" } };
    await expect(ledger.handleBatch!([good, poison])).rejects.toThrow();
    expect(await partnerPayableBalances(database.sql, { partnerId: partnerId, livemode: false })).toEqual([]);
    await ledger.handle(good);
    await expect(ledger.handle(poison)).rejects.toThrow();
    expect(await partnerPayableBalances(database.sql, { partnerId: partnerId, livemode: false })).toEqual([
      { currency: "EUR", amount: 5000 - feeFor(5000, DEFAULT_FEE_BPS) },
    ]);
  });

  it("batches racing over the same events (several processors) write each event once", async () => {
    const { partnerId } = await provisionPartner(database.db, { name: "Racing batches" });
    const events = Array.from({ length: 60 }, (_, i) => captured(partnerId, 100 + i));
    await Promise.all([
      ledger.handleBatch!(events.slice(0, 40)),
      ledger.handleBatch!(events.slice(20).reverse()),
      ledger.handleBatch!(events.filter((_, i) => i % 3 === 0)),
      ...events.slice(50).map((e) => ledger.handle(e)),
    ]);
    const processed = await database.sql<{ n: number }[]>`
      select count(*)::int as n from processed_events
      where consumer = 'ledger' and event_id = any(${events.map((e) => e.id)}::text[])`;
    expect(processed[0]!.n).toBe(60);
    const amount = events.reduce((sum, _, i) => sum + 100 + i - feeFor(100 + i, DEFAULT_FEE_BPS), 0);
    expect(await partnerPayableBalances(database.sql, { partnerId: partnerId, livemode: false })).toEqual([
      { currency: "EUR", amount },
    ]);
  });

  it("leaves every stored transaction summing to zero", async () => {
    const unbalanced = await database.sql<{ transaction_id: string }[]>`
      select transaction_id from ledger_entries group by transaction_id, currency having sum(amount) <> 0`;
    expect(unbalanced).toEqual([]);
    const total = await database.sql<
      { sum: number }[]
    >`select coalesce(sum(amount), 0)::bigint as sum from ledger_entries`;
    expect(total[0]!.sum).toBe(0);
  });
});
