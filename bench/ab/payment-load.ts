// The A/B's two loads, both card payments with automatic capture and an Idempotency-Key, posted
// through the router by one partner: dense = a closed loop of N clients (each sends its next
// payment when the last one answered), sparse = an open loop at a fixed arrival rate whose
// latency counts from the intended send time (no coordinated omission).
import { randomBytes } from "node:crypto";
import { Pool } from "undici";
import { percentile } from "../lib/stats.ts";

export interface LoadResult {
  seconds: number;
  sent: number;
  /** 201 answers: payments the platform created. */
  payments: number;
  errors: Record<string, number>;
  p50: number;
  p99: number;
  max: number;
}

const card = { number: "4242424242424242", exp_month: 12, exp_year: 2034, cvc: "123" };
const run = randomBytes(4).toString("hex");
let seq = 0;

async function postPayment(pool: Pool, apiKey: string): Promise<string | undefined> {
  const n = ++seq;
  const body = JSON.stringify({
    amount: 100 + (n % 50_000),
    currency: "EUR",
    capture_method: "automatic",
    payment_method: { type: "card", card },
    reference: `ab-${run}-${n}`,
  });
  try {
    const res = await pool.request({
      method: "POST",
      path: "/v1/payments",
      headers: {
        authorization: `Bearer ${apiKey}`,
        "content-type": "application/json",
        "idempotency-key": `ab-${run}-${n}`,
      },
      body,
    });
    const text = await res.body.text();
    if (res.statusCode === 201) return undefined;
    const code = /"code":"([^"]+)"/.exec(text)?.[1];
    return `${res.statusCode}${code ? ` ${code}` : ""}`;
  } catch (err) {
    return (err as { code?: string }).code ?? (err as Error).name;
  }
}

function summarise(latencies: number[], errors: Record<string, number>, seconds: number): LoadResult {
  const sorted = Float64Array.from(latencies).sort();
  const failed = Object.values(errors).reduce((a, b) => a + b, 0);
  const r = (v: number) => Math.round(v * 100) / 100;
  return {
    seconds: r(seconds),
    sent: latencies.length,
    payments: latencies.length - failed,
    errors,
    p50: r(percentile(sorted, 50)),
    p99: r(percentile(sorted, 99)),
    max: r(sorted[sorted.length - 1] ?? Number.NaN),
  };
}

/** One payment: undefined when it was created, else what went wrong. */
export const probePayment = postPayment;

export function paymentPool(url: string, connections: number): Pool {
  return new Pool(url, { connections, pipelining: 1, headersTimeout: 30_000, bodyTimeout: 30_000 });
}

/** `clients` loops, each posting payments back to back for `seconds`. */
export async function closedLoop(
  pool: Pool,
  apiKey: string,
  clients: number,
  seconds: number,
): Promise<LoadResult> {
  const latencies: number[] = [];
  const errors: Record<string, number> = {};
  const t0 = performance.now();
  const until = t0 + seconds * 1000;
  const client = async () => {
    while (performance.now() < until) {
      const sent = performance.now();
      const err = await postPayment(pool, apiKey);
      latencies.push(performance.now() - sent);
      if (err) errors[err] = (errors[err] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  return summarise(latencies, errors, (performance.now() - t0) / 1000);
}

/** Payments leave at `rate`/s for `seconds`, whatever the answers do; waits for the last answers. */
export async function openLoop(
  pool: Pool,
  apiKey: string,
  rate: number,
  seconds: number,
): Promise<LoadResult> {
  const latencies: number[] = [];
  const errors: Record<string, number> = {};
  const pending: Promise<void>[] = [];
  const t0 = performance.now();
  const interval = 1000 / rate;
  const total = Math.round(rate * seconds);
  let next = 0;
  while (next < total) {
    const now = performance.now() - t0;
    while (next < total && next * interval <= now) {
      const intended = t0 + next * interval;
      next++;
      pending.push(
        postPayment(pool, apiKey).then((err) => {
          latencies.push(performance.now() - intended);
          if (err) errors[err] = (errors[err] ?? 0) + 1;
        }),
      );
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  const sendSeconds = (performance.now() - t0) / 1000;
  await Promise.all(pending);
  return summarise(latencies, errors, Math.max(seconds, sendSeconds));
}
