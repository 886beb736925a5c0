// Loads a cell's database with a payment history straight through COPY (not the API): millions of
// payments spread over `days` days, newest last, with the refunds, outbox events, processed-event
// records and ledger lines they make. Events, their records and ledger lines are written for the
// last `eventDays` days only: older events are past the outbox's retention anyway, and the
// ledger's older history is not read by anything the scale scenario measures. Ids are made as
// the gateway makes them (time first), so every index is appended at its right edge, as in life.
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import postgres from "postgres";
import { timeIdBound } from "../../shared/ids.ts";

export interface GenerateOptions {
  /** Partners and the share of the payments each gets (normalized). */
  partners: { id: string; share: number }[];
  payments: number;
  days: number;
  eventDays: number;
  /** Ends the history at this time (default now). */
  now?: number;
  /** Every `sampleEvery`-th payment id of each partner is returned, for retrieve requests. */
  sampleEvery?: number;
  log?: (line: string) => void;
}

export interface GenerateResult {
  seconds: number;
  rows: Record<string, number>;
  /** A sample of payment ids per partner, oldest first, and the time span of the history. */
  sampleIds: Record<string, string[]>;
  fromMs: number;
  toMs: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const FEE_BPS = 290;
const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";

/** A small, seedable generator: two loads of the same size make the same data. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Planned {
  id: string;
  partner: string;
  at: number;
  status: string;
  amount: number;
  captured: number;
  refunded: number;
  refundId: string | undefined;
}

export async function generateCellData(url: string, o: GenerateOptions): Promise<GenerateResult> {
  const started = performance.now();
  const log = o.log ?? (() => {});
  const random = mulberry32(0x5ca1e);
  const now = o.now ?? Date.now();
  const fromMs = now - o.days * DAY_MS;
  const eventsFrom = now - o.eventDays * DAY_MS;
  const sampleEvery = o.sampleEvery ?? 1000;
  const total = o.partners.reduce((s, p) => s + p.share, 0);
  const cumulative: [string, number][] = [];
  let acc = 0;
  for (const p of o.partners) {
    acc += p.share / total;
    cumulative.push([p.id, acc]);
  }
  const pickPartner = () => {
    const r = random();
    for (const [id, c] of cumulative) if (r < c) return id;
    return cumulative[cumulative.length - 1]![0];
  };
  const suffix = () => {
    let s = "";
    for (let i = 0; i < 14; i++) s += alphabet[Math.floor(random() * 36)];
    return s;
  };
  const step = (now - fromMs) / o.payments;
  const plan = function* (): Generator<Planned> {
    for (let i = 0; i < o.payments; i++) {
      const at = Math.floor(fromMs + i * step);
      const r = random();
      const amount = 100 + Math.floor(random() * 50_000);
      // Roughly what card traffic looks like: most succeed, a few decline, some wait for capture.
      const status =
        r < 0.06
          ? "failed"
          : r < 0.08
            ? "requires_capture"
            : r < 0.1
              ? "canceled"
              : r < 0.96
                ? "succeeded"
                : "refunded";
      const partial = status === "succeeded" && random() < 0.04;
      const captured = status === "succeeded" || status === "refunded" ? amount : 0;
      const refunded = status === "refunded" ? amount : partial ? Math.floor(amount / 2) : 0;
      yield {
        id: timeIdBound("pay", at) + suffix(),
        partner: pickPartner(),
        at,
        status: partial ? "partially_refunded" : status,
        amount,
        captured,
        refunded,
        refundId: refunded > 0 ? timeIdBound("re", at + 60_000) + suffix() : undefined,
      };
    }
  };

  const sql = postgres(url, { max: 4, onnotice: () => {} });
  const rows = { payments: 0, refunds: 0, events: 0, processed_events: 0, ledger_entries: 0 };
  const sampleIds: Record<string, string[]> = {};
  const seen: Record<string, number> = {};
  try {
    await sql`insert into partners (id, name) select unnest(${o.partners.map((p) => p.id)}::text[]), 'scale data'
      on conflict (id) do nothing`;
    const iso = (ms: number) => new Date(ms).toISOString();
    // One pass over the plan feeds five COPY streams; each stream is its own connection.
    const streams = {
      payments: new ChunkQueue(),
      refunds: new ChunkQueue(),
      events: new ChunkQueue(),
      processed_events: new ChunkQueue(),
      ledger_entries: new ChunkQueue(),
    };
    const copies = [
      copy(
        url,
        streams.payments,
        `copy payments (id, partner_id, status, amount, currency, capture_method,
        amount_capturable, amount_captured, amount_refunded, card_brand, card_bin, card_last4, card_exp_month,
        card_exp_year, card_fingerprint, authorization_code, failure_code, failure_message, reference, metadata,
        created_at, updated_at, version, livemode) from stdin`,
      ),
      copy(
        url,
        streams.refunds,
        `copy refunds (id, partner_id, payment_id, status, amount, currency, created_at, livemode) from stdin`,
      ),
      copy(
        url,
        streams.events,
        `copy events (id, partner_id, type, data, created_at, published_at, livemode) from stdin`,
      ),
      copy(
        url,
        streams.processed_events,
        `copy processed_events (consumer, event_id, processed_at) from stdin`,
      ),
      copy(
        url,
        streams.ledger_entries,
        `copy ledger_entries (transaction_id, line, partner_id, account, currency,
        amount, object_id, created_at, livemode) from stdin`,
      ),
    ];
    const producing = (async () => {
      for (const p of plan()) {
        const created = iso(p.at);
        const failed = p.status === "failed";
        const capturable = p.status === "requires_capture" ? p.amount : 0;
        streams.payments.push(
          `${p.id}\t${p.partner}\t${p.status}\t${p.amount}\tEUR\t${p.status === "requires_capture" ? "manual" : "automatic"}\t${capturable}\t${p.captured}\t${p.refunded}\tvisa\t424242\t4242\t12\t2034\tfp_${p.id.slice(-12)}\t${failed ? "\\N" : "A1B2C3"}\t${failed ? "card_declined" : "\\N"}\t${failed ? "The card was declined." : "\\N"}\torder-${p.id.slice(-8)}\t{}\t${created}\t${created}\t${p.refunded > 0 ? 3 : 2}\tf\n`,
        );
        rows.payments++;
        const n = (seen[p.partner] ?? 0) + 1;
        seen[p.partner] = n;
        if ((n - 1) % sampleEvery === 0) {
          const list = sampleIds[p.partner] ?? [];
          list.push(p.id);
          sampleIds[p.partner] = list;
        }
        if (p.refundId) {
          streams.refunds.push(
            `${p.refundId}\t${p.partner}\t${p.id}\tsucceeded\t${p.refunded}\tEUR\t${iso(p.at + 60_000)}\tf\n`,
          );
          rows.refunds++;
        }
        if (rows.payments % 1000 === 0) await Promise.all(Object.values(streams).map((s) => s.drained()));
        if (rows.payments % 1_000_000 === 0) log(`  ${rows.payments / 1e6} M payments written`);
        if (p.at < eventsFrom) continue;
        const ev = (type: string, at: number, data: string, ledger: [string, number][] | undefined) => {
          const id = timeIdBound("evt", at) + p.id.slice(-14);
          streams.events.push(`${id}\t${p.partner}\t${type}\t${data}\t${iso(at)}\t${iso(at + 50)}\tf\n`);
          rows.events++;
          for (const consumer of ["ledger", "settlement", "webhooks"]) {
            streams.processed_events.push(`${consumer}\t${id}\t${iso(at + 200)}\n`);
            rows.processed_events++;
          }
          ledger?.forEach(([account, amount], line) => {
            streams.ledger_entries.push(
              `${id}\t${line + 1}\t${p.partner}\t${account}\tEUR\t${amount}\t${p.id}\t${iso(at + 200)}\tf\n`,
            );
            rows.ledger_entries++;
          });
        };
        const view = (status: string) =>
          `{"id": "${p.id}", "object": "payment", "amount": ${p.amount}, "currency": "EUR", "status": "${status}", "amount_captured": ${p.captured}}`;
        if (failed) ev("payment.failed", p.at, view("failed"), undefined);
        else if (p.status === "requires_capture")
          ev("payment.requires_capture", p.at, view(p.status), undefined);
        else if (p.status === "canceled") ev("payment.canceled", p.at, view(p.status), undefined);
        else {
          const fee = Math.round((p.captured * FEE_BPS) / 10_000);
          ev("payment.succeeded", p.at, view("succeeded"), [
            ["acquirer_clearing", p.captured],
            ["partner_payable", -(p.captured - fee)],
            ["platform_fees", -fee],
          ]);
          if (p.refundId) {
            ev(
              "refund.succeeded",
              p.at + 60_000,
              `{"id": "${p.refundId}", "object": "refund", "amount": ${p.refunded}, "currency": "EUR"}`,
              [
                ["partner_payable", p.refunded],
                ["acquirer_clearing", -p.refunded],
              ],
            );
          }
        }
      }
      for (const s of Object.values(streams)) s.end();
    })();
    await Promise.all([producing, ...copies]);
    log("  analyzing…");
    await sql`analyze payments, refunds, events, processed_events, ledger_entries`;
  } finally {
    await sql.end({ timeout: 5 });
  }
  return { seconds: (performance.now() - started) / 1000, rows, sampleIds, fromMs, toMs: now };
}

/** Lines gathered into ~256 KiB chunks for one COPY, with backpressure towards the producer. */
class ChunkQueue {
  private lines: string[] = [];
  private size = 0;
  private chunks: string[] = [];
  private ended = false;
  private wake: (() => void) | undefined;
  private space: (() => void) | undefined;

  push(line: string): void {
    this.lines.push(line);
    this.size += line.length;
    if (this.size >= 256 * 1024) this.flush();
  }

  private flush(): void {
    if (this.lines.length === 0) return;
    this.chunks.push(this.lines.join(""));
    this.lines = [];
    this.size = 0;
    this.wake?.();
  }

  /** Resolves once few enough chunks wait (the producer pauses while COPY catches up). */
  drained(): Promise<void> {
    if (this.chunks.length < 8) return Promise.resolve();
    return new Promise((r) => {
      this.space = r;
    });
  }

  end(): void {
    this.flush();
    this.ended = true;
    this.wake?.();
  }

  async *read(): AsyncGenerator<string> {
    for (;;) {
      const chunk = this.chunks.shift();
      if (chunk !== undefined) {
        if (this.chunks.length < 4) {
          this.space?.();
          this.space = undefined;
        }
        yield chunk;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((r) => {
        this.wake = r;
      });
      this.wake = undefined;
    }
  }
}

/** One COPY on a connection of its own: postgres.js would queue other queries onto it mid-COPY. */
async function copy(url: string, queue: ChunkQueue, statement: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const writable = await sql.unsafe(statement).writable();
    await pipeline(Readable.from(queue.read()), writable);
  } finally {
    await sql.end({ timeout: 5 });
  }
}
