// The ledger processor: one balanced double-entry transaction per capture and per refund.
//   payment.captured (A, fee F):  acquirer_clearing +A, partner_payable −(A−F), platform_fees −F
//   refund.succeeded (R):         partner_payable +R, acquirer_clearing −R   (the fee is kept)
// The partner's balance is what partner_payable owes it.
import { z } from "zod";
import type { Sql } from "../../db/client.ts";
import {
  type LedgerLine,
  type LedgerTransaction,
  partnerFeeSetting,
  recordLedgerTransaction,
  recordLedgerTransactions,
} from "../../db/queries/ledger.ts";
import type { EventEnvelope } from "../envelope.ts";
import { distinctById, type EventHandler, type ProcessorDeps } from "./event-handler.ts";

export const LEDGER_CONSUMER = "ledger";
/** Platform fee when the partner's settings name none: 2.90 %. */
export const DEFAULT_FEE_BPS = 290;

const FeeBpsSchema = z.number().int().min(0).max(10_000);

/** Rounds down, so the platform never takes more than its rate. */
export function feeFor(amount: number, feeBps: number): number {
  return Math.floor((amount * feeBps) / 10_000);
}

// Fee rates change rarely and every captured payment needs one (ledger and settlement alike):
// kept per process for FEE_CACHE_MS, so a rate change applies to events processed after that.
const FEE_CACHE_MS = 30_000;
const feeCache = new Map<string, { bps: number; until: number }>();

/** The partner's fee rate; a missing or invalid setting falls back to the default. */
export async function partnerFeeBps(sql: Sql, partnerId: string, now = Date.now()): Promise<number> {
  const hit = feeCache.get(partnerId);
  if (hit && hit.until > now) return hit.bps;
  const parsed = FeeBpsSchema.safeParse(await partnerFeeSetting(sql, partnerId));
  const bps = parsed.success ? parsed.data : DEFAULT_FEE_BPS;
  if (feeCache.size > 100_000) feeCache.clear();
  feeCache.set(partnerId, { bps, until: now + FEE_CACHE_MS });
  return bps;
}

export const CapturedDataSchema = z.object({
  id: z.string().min(1),
  currency: z.string().min(1),
  amount_captured: z.number().int().min(0),
});
export const RefundDataSchema = z.object({
  id: z.string().min(1),
  currency: z.string().min(1),
  amount: z.number().int().min(0),
});

/** The lines of the transaction an event makes, or undefined for events the ledger ignores. */
export function ledgerTransactionFor(event: EventEnvelope, feeBps: number): LedgerTransaction | undefined {
  let lines: LedgerLine[];
  if (event.type === "payment.captured") {
    const p = CapturedDataSchema.parse(event.data);
    const fee = feeFor(p.amount_captured, feeBps);
    const line = (account: LedgerLine["account"], amount: number): LedgerLine => ({
      account,
      currency: p.currency,
      amount,
      objectId: p.id,
    });
    lines = [
      line("acquirer_clearing", p.amount_captured),
      line("partner_payable", -(p.amount_captured - fee)),
      line("platform_fees", -fee),
    ];
  } else if (event.type === "refund.succeeded") {
    const r = RefundDataSchema.parse(event.data);
    lines = [
      { account: "partner_payable", currency: r.currency, amount: r.amount, objectId: r.id },
      { account: "acquirer_clearing", currency: r.currency, amount: -r.amount, objectId: r.id },
    ];
  } else {
    return undefined;
  }
  assertBalanced(event.id, lines);
  return { id: event.id, partnerId: event.partner_id, livemode: event.livemode, lines };
}

/** Refuses to write a transaction whose lines do not sum to zero in each currency. */
export function assertBalanced(transactionId: string, lines: readonly LedgerLine[]): void {
  const sums = new Map<string, number>();
  for (const l of lines) {
    if (!Number.isSafeInteger(l.amount))
      throw new Error(`ledger ${transactionId}: amount ${l.amount} is not an integer`);
    sums.set(l.currency, (sums.get(l.currency) ?? 0) + l.amount);
  }
  for (const [currency, sum] of sums) {
    if (sum !== 0) throw new Error(`ledger ${transactionId}: ${currency} lines sum to ${sum}, not 0`);
  }
}

export function createLedgerHandler(deps: ProcessorDeps): EventHandler {
  return {
    name: LEDGER_CONSUMER,
    types: ["payment.captured", "refund.succeeded"],
    async handle(event) {
      // The fee is read only for captures: refunds keep the fee, whatever the rate is now.
      const feeBps = event.type === "payment.captured" ? await partnerFeeBps(deps.sql, event.partner_id) : 0;
      const tx = ledgerTransactionFor(event, feeBps);
      if (!tx) return;
      const wrote = await recordLedgerTransaction(deps.sql, LEDGER_CONSUMER, tx);
      if (!wrote) deps.log.debug({ event_id: event.id }, "ledger: event already applied");
    },
    async handleBatch(events) {
      const unique = distinctById(events);
      const captures = unique.filter((e) => e.type === "payment.captured");
      const fees = await feeRates(deps.sql, captures);
      // Each transaction is checked balanced as it is built; one that is not fails the batch.
      const txs = unique.flatMap((e) => ledgerTransactionFor(e, fees.get(e.partner_id) ?? 0) ?? []);
      const wrote = await recordLedgerTransactions(deps.sql, LEDGER_CONSUMER, txs);
      if (wrote < txs.length)
        deps.log.debug({ events: txs.length, applied: wrote }, "ledger: some events already applied");
    },
  };
}

/** The fee rate of each partner with an event in `events` (cached like partnerFeeBps). */
export async function feeRates(sql: Sql, events: readonly EventEnvelope[]): Promise<Map<string, number>> {
  const partners = [...new Set(events.map((e) => e.partner_id))];
  const bps = await Promise.all(partners.map((p) => partnerFeeBps(sql, p)));
  return new Map(partners.map((p, i) => [p, bps[i]!]));
}
