// A partner moved between two real cells while 8 clients keep paying, capturing, refunding and
// retrying through both routers: the move completes with matching checksums, no client request
// fails, every response a client got is backed by the same row on the target cell, nothing is
// duplicated, retries after the move replay, and other partners (on the source cell too) see no
// failed request meanwhile.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { card } from "../harness.ts";
import { type Move, type OnboardedPartner, type Platform, startPlatform } from "../platform-harness.ts";

let platform: Platform;
beforeAll(async () => {
  platform = await startPlatform({ cells: [{ id: "cell-a" }, { id: "cell-b" }, { id: "cell-c" }] });
});
afterAll(async () => {
  await platform?.stop();
});

type Call = ReturnType<Platform["partnerClient"]>;
type Body = Record<string, unknown>;
interface Sent {
  method: string;
  path: string;
  body: Body;
  key: string;
  status: number;
  id: string;
  at: number;
}
interface Outcome {
  op: string;
  status: number;
  ms: number;
  at: number;
  code?: string | undefined;
}

/** Everything the clients of one partner saw. */
class Traffic {
  readonly outcomes: Outcome[] = [];
  readonly sent: Sent[] = [];
  /** The last state of each payment and refund as a (non-replayed) response showed it. */
  readonly payments = new Map<string, Body>();
  readonly refunds = new Map<string, Body>();
  private running = true;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly partner: OnboardedPartner,
    private readonly tag: string,
    private readonly onlyPayments = false,
  ) {}

  start(clients: number) {
    this.loops = Array.from({ length: clients }, (_, k) => this.loop(k));
  }

  async stop() {
    this.running = false;
    await Promise.all(this.loops);
  }

  failures() {
    return this.outcomes.filter((o) => o.status >= 300);
  }

  private async send(call: Call, op: string, method: string, path: string, body?: Body, key?: string) {
    const started = performance.now();
    const res = await call(method, path, body, key ? { "idempotency-key": key } : {});
    const ms = performance.now() - started;
    this.outcomes.push({ op, status: res.status, ms, at: Date.now(), code: res.body.error?.code });
    if (key && body && res.status < 300)
      this.sent.push({
        method,
        path,
        body,
        key,
        status: res.status,
        id: String(res.body.id),
        at: Date.now(),
      });
    return res;
  }

  private async loop(k: number) {
    const call = platform.partnerClient(this.partner.api_key, k % 2);
    const succeeded: string[] = [];
    for (let n = 0; this.running; n++) {
      const key = `${this.tag}-${k}-${n}`;
      const op = this.onlyPayments ? 0 : n % 4;
      if (op === 0 || op === 1) {
        const manual = op === 1;
        const body = {
          amount: 1000 + n,
          currency: "EUR",
          payment_method: card(),
          capture_method: manual ? "manual" : "automatic",
          reference: key,
        };
        const res = await this.send(call, manual ? "authorize" : "pay", "POST", "/v1/payments", body, key);
        if (res.status !== 201) continue;
        this.payments.set(String(res.body.id), res.body);
        if (!manual) {
          succeeded.push(String(res.body.id));
          continue;
        }
        const path = `/v1/payments/${res.body.id}/capture`;
        const cap = await this.send(call, "capture", "POST", path, {}, `${key}-capture`);
        if (cap.status < 300) {
          this.payments.set(String(cap.body.id), cap.body);
          succeeded.push(String(cap.body.id));
        }
      } else if (op === 2 && succeeded.length > 0) {
        const paymentId = succeeded.shift()!;
        const body = { payment_id: paymentId, amount: 100 };
        const res = await this.send(call, "refund", "POST", "/v1/refunds", body, key);
        if (res.status < 300) this.refunds.set(String(res.body.id), res.body);
        const read = await this.send(call, "read", "GET", `/v1/payments/${paymentId}`);
        if (read.status === 200) this.payments.set(paymentId, read.body);
      } else {
        // A retry of an earlier request of this client, with the same key and body: a replay.
        const mine = this.sent.filter((s) => s.key.startsWith(`${this.tag}-${k}-`));
        const earlier = mine[Math.floor(Math.random() * mine.length)];
        if (!earlier) continue;
        const res = await this.send(call, "retry", earlier.method, earlier.path, earlier.body, earlier.key);
        if (res.status !== earlier.status || res.body.id !== earlier.id)
          this.outcomes.push({ op: "retry-mismatch", status: 999, ms: 0, at: Date.now() });
        if (res.headers.get("idempotent-replayed") !== "true")
          this.outcomes.push({ op: "retry-not-replayed", status: 998, ms: 0, at: Date.now() });
      }
    }
  }
}

const rowsOf = async (url: string, partnerId: string) => {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const payments = await sql<
      { id: string; status: string; amount: string; amount_captured: string; amount_refunded: string }[]
    >`select id, status, amount, amount_captured, amount_refunded from payments where partner_id = ${partnerId}`;
    const refunds = await sql<{ id: string; status: string; amount: string; payment_id: string }[]>`
      select id, status, amount, payment_id from refunds where partner_id = ${partnerId}`;
    const dupes = await sql`
      select reference from payments where partner_id = ${partnerId} group by reference having count(*) > 1`;
    const [keys] = await sql<{ n: number }[]>`
      select count(*)::int as n from idempotency_keys where partner_id = ${partnerId}`;
    return { payments, refunds, dupes: dupes.length, keys: keys!.n };
  } finally {
    await sql.end({ timeout: 1 });
  }
};

describe("platform: moving a partner under continuous traffic", () => {
  it("completes the move with matching checksums; no request fails, nothing is lost or duplicated, retries replay", async () => {
    const mover = await platform.onboard("Mover", "cell-a");
    const neighbour = await platform.onboard("Neighbour on the source cell", "cell-a");
    const elsewhere = await platform.onboard("Partner on another cell", "cell-c");
    const traffic = new Traffic(mover, "mv");
    const bystanders = [new Traffic(neighbour, "nb", true), new Traffic(elsewhere, "el", true)];
    traffic.start(8);
    for (const b of bystanders) b.start(2);
    // Some history first (a slow machine needs longer to build it).
    const warm = Date.now();
    while (Date.now() - warm < 1500 || traffic.sent.length < 30) await new Promise((r) => setTimeout(r, 50));

    const movedAt = Date.now();
    const started = await platform.admin<Move>("POST", `/admin/v1/partners/${mover.id}/move`, {
      target_cell_id: "cell-b",
      reason: "test move",
    });
    expect(started.status).toBe(202);
    const move = await platform.waitMove(started.body.id);
    const doneAt = Date.now();
    await new Promise((r) => setTimeout(r, 1000));
    await Promise.all([traffic.stop(), ...bystanders.map((b) => b.stop())]);

    const during = traffic.outcomes.filter((o) => o.at >= movedAt && o.at - o.ms <= doneAt);
    const maxMs = Math.max(...during.map((o) => o.ms));
    console.log(
      `move under load: status ${move.status}, stall_ms ${move.stall_ms}, move took ${doneAt - movedAt} ms, ` +
        `${traffic.outcomes.length} client requests (${during.length} during the move), ` +
        `client max latency during the move ${Math.round(maxMs)} ms, ` +
        `rows copied ${JSON.stringify(move.progress.rows_copied)}`,
    );
    if (move.status !== "completed")
      for (const c of platform.cells)
        for (const l of c.cell.logLines)
          if (/"level":"(error|fatal)"/.test(l)) console.log(c.id, l.slice(0, 800));
    expect({ status: move.status, error: move.error }).toEqual({ status: "completed", error: null });
    const checksums = move.progress.checksums as { table: string; match: boolean }[];
    expect(checksums.length).toBeGreaterThan(3);
    expect(checksums.filter((t) => !t.match)).toEqual([]);
    expect(traffic.failures()).toEqual([]);
    for (const b of bystanders) expect(b.failures()).toEqual([]);
    expect(traffic.payments.size).toBeGreaterThan(20);
    expect(traffic.refunds.size).toBeGreaterThan(3);
    expect(during.length).toBeGreaterThan(10);

    const partner = await platform.admin<{ cell_id: string }>("GET", `/admin/v1/partners/${mover.id}`);
    expect(partner.body.cell_id).toBe("cell-b");
    const target = await rowsOf(platform.cell("cell-b").infra.postgresUrl, mover.id);
    const byId = new Map(target.payments.map((p) => [p.id, p]));
    for (const [id, seen] of traffic.payments) {
      const row = byId.get(id);
      expect(row, `payment ${id} on the target`).toBeDefined();
      expect({ id, status: row!.status, amount: Number(row!.amount) }).toEqual({
        id,
        status: seen.status,
        amount: seen.amount,
      });
      if (typeof seen.amount_refunded === "number")
        expect(Number(row!.amount_refunded), `refunded on ${id}`).toBe(seen.amount_refunded);
    }
    const refundsById = new Map(target.refunds.map((r) => [r.id, r]));
    for (const [id, seen] of traffic.refunds) {
      const row = refundsById.get(id);
      expect(row, `refund ${id} on the target`).toBeDefined();
      expect({ status: row!.status, amount: Number(row!.amount) }).toEqual({
        status: seen.status,
        amount: seen.amount,
      });
    }
    // One row per request: as many payments as the clients were answered, one per reference.
    expect(target.payments.length).toBe(traffic.payments.size);
    expect(target.refunds.length).toBe(traffic.refunds.size);
    expect(target.dupes).toBe(0);
    expect(target.keys).toBe(new Set(traffic.sent.map((s) => s.key)).size);

    // Requests made before the move, retried after it through either router: replayed, same id.
    const before = traffic.sent.filter((s) => s.at < movedAt).slice(0, 10);
    expect(before.length).toBe(10);
    for (const [i, s] of before.entries()) {
      const res = await platform.partnerClient(mover.api_key, i % 2)(s.method, s.path, s.body, {
        "idempotency-key": s.key,
      });
      expect(res.status).toBe(s.status);
      expect(res.body.id).toBe(s.id);
      expect(res.headers.get("idempotent-replayed")).toBe("true");
    }
  });
});
