// The request mix: payments with automatic capture, manual authorize then capture, cancels,
// refunds, retrieves, lists and a few deliberate retries (same key, same body: must replay).
// Each partner keeps the ids it may act on, so follow-up requests are valid and never collide.
export interface BenchPartner {
  index: number;
  id: string;
  apiKey: string;
  /** Updated when a move flips it, so samples are counted against the cell that served them. */
  cell: string;
}

export type Op = "pay_auto" | "pay_manual" | "capture" | "cancel" | "refund" | "retrieve" | "list" | "retry";

export const opWeights: Record<Op, number> = {
  pay_auto: 0.4,
  pay_manual: 0.15,
  capture: 0.1,
  cancel: 0.04,
  refund: 0.06,
  retrieve: 0.17,
  list: 0.06,
  retry: 0.02,
};

export interface PlannedRequest {
  op: Op;
  method: "GET" | "POST";
  path: string;
  body: string | undefined;
  key: string | undefined;
  expect: number;
}

interface PartnerState {
  pending: string[];
  captured: string[];
  known: string[];
  creates: { key: string; body: string }[];
}

const approved = { number: "4242424242424242", exp_month: 12, exp_year: 2034, cvc: "123" };
const declined = { ...approved, number: "4000000000000002" };
const cap = <T>(list: T[], max: number) => {
  if (list.length > max) list.splice(0, list.length - max);
};

export class Workload {
  private readonly states = new Map<number, PartnerState>();
  private seq = 0;
  /** Every payment a 2xx answer said exists, by cell: checked at the end ("nothing lost"). */
  readonly createdPayments = new Map<string, { cell: string; partner: number }>();
  private readonly cumulative: [Op, number][];

  constructor(
    private readonly runId: string,
    private readonly random: () => number,
  ) {
    let total = 0;
    this.cumulative = Object.entries(opWeights).map(([op, w]) => {
      total += w;
      return [op as Op, total];
    });
  }

  private state(p: BenchPartner): PartnerState {
    let s = this.states.get(p.index);
    if (!s) {
      s = { pending: [], captured: [], known: [], creates: [] };
      this.states.set(p.index, s);
    }
    return s;
  }

  plan(p: BenchPartner, forced?: Op): PlannedRequest {
    const s = this.state(p);
    const u = this.random();
    let op = forced ?? this.cumulative.find(([, c]) => u < c)?.[0] ?? "pay_auto";
    if ((op === "capture" || op === "cancel") && s.pending.length === 0) op = "pay_manual";
    if (op === "refund" && s.captured.length === 0) op = "pay_auto";
    if (op === "retrieve" && s.known.length === 0) op = "pay_auto";
    if (op === "retry" && s.creates.length === 0) op = "pay_auto";
    const key = `bench-${this.runId}-${++this.seq}`;
    switch (op) {
      case "pay_auto":
      case "pay_manual": {
        const body = JSON.stringify({
          amount: 100 + Math.floor(this.random() * 50_000),
          currency: "EUR",
          capture_method: op === "pay_auto" ? "automatic" : "manual",
          payment_method: { type: "card", card: this.random() < 0.02 ? declined : approved },
          reference: `order-${this.seq}`,
        });
        return { op, method: "POST", path: "/v1/payments", body, key, expect: 201 };
      }
      case "capture":
      case "cancel": {
        const id = s.pending.shift()!;
        return { op, method: "POST", path: `/v1/payments/${id}/${op}`, body: "{}", key, expect: 200 };
      }
      case "refund": {
        const id = s.captured.shift()!;
        return {
          op,
          method: "POST",
          path: "/v1/refunds",
          body: JSON.stringify({ payment_id: id }),
          key,
          expect: 201,
        };
      }
      case "retrieve": {
        const id = s.known[Math.floor(this.random() * s.known.length)]!;
        return {
          op,
          method: "GET",
          path: `/v1/payments/${id}`,
          body: undefined,
          key: undefined,
          expect: 200,
        };
      }
      case "list":
        return {
          op,
          method: "GET",
          path: "/v1/payments?limit=10",
          body: undefined,
          key: undefined,
          expect: 200,
        };
      case "retry": {
        const c = s.creates[Math.floor(this.random() * s.creates.length)]!;
        return { op, method: "POST", path: "/v1/payments", body: c.body, key: c.key, expect: 201 };
      }
    }
  }

  /** Learns from a successful answer which follow-ups are now valid. */
  observe(p: BenchPartner, req: PlannedRequest, body: { id?: string; status?: string } | undefined): void {
    if (!body?.id) return;
    const s = this.state(p);
    if ((req.op === "pay_auto" || req.op === "pay_manual") && req.key && req.body) {
      // Only a create that answered may be retried expecting a replay.
      s.creates.push({ key: req.key, body: req.body });
      cap(s.creates, 20);
      this.createdPayments.set(body.id, { cell: p.cell, partner: p.index });
      s.known.push(body.id);
      cap(s.known, 50);
      if (body.status === "requires_capture") s.pending.push(body.id);
      if (body.status === "succeeded") s.captured.push(body.id);
      cap(s.pending, 50);
      cap(s.captured, 50);
    } else if (req.op === "capture" && body.status === "succeeded") {
      s.captured.push(body.id);
    }
  }

  /** A follow-up that failed gives its id back (a 5xx may not have changed anything). */
  giveBack(p: BenchPartner, req: PlannedRequest): void {
    const id = /\/v1\/payments\/([^/]+)\/(capture|cancel)$/.exec(req.path)?.[1];
    if (id) this.state(p).pending.push(id);
  }
}
