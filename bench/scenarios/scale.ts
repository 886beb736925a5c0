// scale: the API against a cell holding BENCH_SCALE_PAYMENTS payments (default 10 M, loaded by
// COPY, see bench/lib/generate-cell-data.ts), next to the same requests against an empty cell in
// the same run: retrieve, list (plain, filtered by status and created range, deep cursors) and
// the payment path. The requests of both cells alternate, one at a time, so both see the same
// machine; the loaded cell's busiest partner holds 30% of the payments (the worst case for its
// list queries). Aim: list and retrieve p99 <= 20 ms, payment path within 10% of the empty cell.
import postgres from "postgres";
import { request } from "undici";
import type { BenchContext, Check, ScenarioResult } from "../lib/context.ts";
import { generateCellData } from "../lib/generate-cell-data.ts";
import { percentile } from "../lib/stats.ts";
import type { BenchPartner } from "../lib/workload.ts";
import { moveLoadedPartner } from "./scale-move.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

interface Query {
  name: string;
  kind: "read" | "pay";
  method: "GET" | "POST";
  path: (side: Side) => string;
}

interface Side {
  label: "loaded" | "empty";
  partner: BenchPartner;
  retrieveIds: string[];
}

export async function runScale(ctx: BenchContext): Promise<ScenarioResult> {
  const payments = Number(process.env.BENCH_SCALE_PAYMENTS ?? 10_000_000);
  const samples = Number(process.env.BENCH_SCALE_SAMPLES ?? 400);
  const cells = Object.keys(ctx.platform.cellPostgres);
  const [loadedCell, emptyCell] = cells;
  const hot = ctx.partners.find((p) => p.cell === loadedCell);
  const cold = ctx.partners.find((p) => p.cell === emptyCell);
  if (!loadedCell || !emptyCell || !hot || !cold)
    throw new Error("scale needs two local cells with a partner each");
  const url = ctx.platform.cellPostgres[loadedCell]!;
  const others = ctx.partners.filter((p) => p.cell === loadedCell && p !== hot);
  const synthetic = Array.from({ length: 200 }, (_, i) => `ptr_scale${String(i).padStart(5, "0")}`);
  console.log(`loading ${payments.toLocaleString()} payments into ${loadedCell} by COPY…`);
  const load = await generateCellData(url, {
    partners: [
      { id: hot.id, share: 0.3 },
      ...others.map((p) => ({ id: p.id, share: 0.1 / Math.max(1, others.length) })),
      ...synthetic.map((id) => ({ id, share: 0.6 / synthetic.length })),
    ],
    payments,
    days: 30,
    eventDays: 2,
    sampleEvery: Math.max(1, Math.floor((payments * 0.3) / 2000)),
    log: (line) => console.log(line),
  });
  console.log(`  loaded in ${load.seconds.toFixed(0)} s: ${JSON.stringify(load.rows)}`);
  const hotIds = load.sampleIds[hot.id] ?? [];

  const call = async (side: Side, method: "GET" | "POST", path: string, n: number) => {
    const headers: Record<string, string> = { authorization: `Bearer ${side.partner.apiKey}` };
    let body: string | undefined;
    if (method === "POST") {
      headers["content-type"] = "application/json";
      // Letters between the numbers: a long digit run would be refused as a card number.
      headers["idempotency-key"] = `scale-${side.label}-n${n}-r${Math.random().toString(36).slice(2)}`;
      body = JSON.stringify({
        amount: 1000 + (n % 5000),
        currency: "EUR",
        capture_method: "automatic",
        payment_method: {
          type: "card",
          card: { number: "4242424242424242", exp_month: 12, exp_year: 2034, cvc: "123" },
        },
      });
    }
    const t0 = performance.now();
    const res = await request(`${ctx.platform.routerUrls[0]}${path}`, {
      method,
      headers,
      body: body ?? null,
    });
    const text = await res.body.text();
    const ms = performance.now() - t0;
    if (res.statusCode >= 300)
      throw new Error(`${method} ${path} (${side.label}): ${res.statusCode} ${text.slice(0, 200)}`);
    return { ms, json: JSON.parse(text) as { id?: string } };
  };

  const loaded: Side = { label: "loaded", partner: hot, retrieveIds: hotIds };
  const empty: Side = { label: "empty", partner: cold, retrieveIds: [] };
  // Warm-up, and the empty cell's payments to retrieve: the payment path on both cells.
  for (let i = 0; i < 100; i++) {
    await call(loaded, "POST", "/v1/payments", i);
    const made = await call(empty, "POST", "/v1/payments", i);
    if (made.json.id) empty.retrieveIds.push(made.json.id);
  }
  const mid = load.fromMs + (load.toMs - load.fromMs) / 2;
  const range = `created[gte]=${Math.floor(mid / 1000)}&created[lte]=${Math.floor((mid + DAY_MS) / 1000)}`;
  const deep = hotIds[Math.floor(hotIds.length * 0.05)] ?? "pay_0";
  const pick = (s: Side, i: number) =>
    s.retrieveIds[(i * 7919) % Math.max(1, s.retrieveIds.length)] ?? "pay_0";
  let i = 0;
  const queries: Query[] = [
    { name: "retrieve", kind: "read", method: "GET", path: (s) => `/v1/payments/${pick(s, i)}` },
    { name: "list", kind: "read", method: "GET", path: () => "/v1/payments?limit=100" },
    {
      name: "list status=failed",
      kind: "read",
      method: "GET",
      path: () => "/v1/payments?limit=100&status=failed",
    },
    {
      name: "list created 1-day range",
      kind: "read",
      method: "GET",
      path: () => `/v1/payments?limit=100&${range}`,
    },
    {
      name: "list status+created",
      kind: "read",
      method: "GET",
      path: () => `/v1/payments?limit=100&status=refunded&${range}`,
    },
    {
      name: "list deep cursor (oldest 5%)",
      kind: "read",
      method: "GET",
      path: () => `/v1/payments?limit=100&starting_after=${deep}`,
    },
    {
      name: "list deep cursor + status",
      kind: "read",
      method: "GET",
      path: () => `/v1/payments?limit=100&status=succeeded&starting_after=${deep}`,
    },
    { name: "create payment (payment path)", kind: "pay", method: "POST", path: () => "/v1/payments" },
  ];
  const table: Record<string, Record<string, number>> = {};
  const checks: Check[] = [];
  for (const q of queries) {
    const lat: Record<Side["label"], number[]> = { loaded: [], empty: [] };
    for (i = 0; i < samples; i++) {
      // Alternate which side goes first, so neither always follows the other's cache misses.
      const order = i % 2 === 0 ? [loaded, empty] : [empty, loaded];
      for (const side of order) lat[side.label].push((await call(side, q.method, q.path(side), 1000 + i)).ms);
    }
    const stats = (xs: number[]) => {
      const sorted = Float64Array.from(xs).sort();
      return { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)) };
    };
    const l = stats(lat.loaded);
    const e = stats(lat.empty);
    table[q.name] = { loaded_p50: l.p50, loaded_p99: l.p99, empty_p50: e.p50, empty_p99: e.p99 };
    console.log(
      `  ${q.name.padEnd(32)} loaded p50 ${l.p50} p99 ${l.p99} ms | empty p50 ${e.p50} p99 ${e.p99} ms`,
    );
    if (q.kind === "read") {
      checks.push({ name: `${q.name}: p99 <= 20 ms at scale`, pass: l.p99 <= 20, detail: `${l.p99} ms` });
    } else {
      checks.push({
        name: `${q.name}: p50 within 10% of the empty cell`,
        pass: l.p50 <= e.p50 * 1.1,
        detail: `${l.p50} ms vs ${e.p50} ms (${round((l.p50 / e.p50 - 1) * 100)}%)`,
      });
    }
  }
  const plans = await explainLists(url, hot.id, mid, deep);
  // Last, as it changes the loaded cell: the partner with 10% of its payments moves to the empty one.
  const mover = others[0];
  const moved =
    mover && process.env.BENCH_SCALE_MOVE !== "0"
      ? await moveLoadedPartner(ctx, mover, emptyCell)
      : undefined;
  if (moved) checks.push(...moved.checks);
  return {
    measured: [],
    checks,
    notes: [
      ...(moved ? [moved.note] : []),
      `${loadedCell}: ${payments.toLocaleString()} payments over 30 days loaded by COPY in ${load.seconds.toFixed(0)} s (${JSON.stringify(load.rows)}); its busiest partner (30% of them) is measured. ${emptyCell}: empty.`,
      `Each figure: ${samples} requests one at a time through the router, the two cells alternating; the payment path is one automatic-capture POST /v1/payments.`,
      "Events, processed-event records and ledger lines were loaded for the last 2 days only (older outbox rows are past retention; older ledger history is read by nothing measured here).",
    ],
    extra: { load: { seconds: load.seconds, rows: load.rows }, latencyMs: table, plans, move: moved?.extra },
  };
}

const round = (x: number) => Math.round(x * 100) / 100;

/** EXPLAIN ANALYZE of the list shapes, as listPayments writes them, for the report. */
async function explainLists(url: string, partner: string, mid: number, deep: string) {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const { timeIdBound } = await import("../../shared/ids.ts");
  const { ID_TIME_SLACK_MS } = await import("../../cell/db/queries/payments.ts");
  const from = timeIdBound("pay", mid - ID_TIME_SLACK_MS);
  const to = timeIdBound("pay", mid + DAY_MS + ID_TIME_SLACK_MS + 1);
  // The shapes of cell/db/queries/payments.ts listPayments (test-mode keys: livemode = false).
  const shapes: Record<string, string> = {
    list: `select * from payments where partner_id = '${partner}' and livemode = false order by id desc limit 101`,
    status: `select * from payments where partner_id = '${partner}' and livemode = false and status = 'failed' order by id desc limit 101`,
    created: `select * from payments where partner_id = '${partner}' and livemode = false and id >= '${from}' and id < '${to}' and created_at >= '${new Date(mid).toISOString()}' and created_at <= '${new Date(mid + DAY_MS).toISOString()}' order by id desc limit 101`,
    deep: `select * from payments where partner_id = '${partner}' and livemode = false and id < '${deep}' order by id desc limit 101`,
  };
  const out: Record<string, string[]> = {};
  try {
    for (const [name, text] of Object.entries(shapes)) {
      const rows = await sql.unsafe(`explain (analyze, buffers, costs off) ${text}`);
      out[name] = rows.map((r) => String(r["QUERY PLAN"]));
    }
    // The plan a prepared statement gets once Postgres switches it to a generic one (after five
    // executions, when the estimate looks no worse): the created[...] list as postgres.js sends it.
    await sql.unsafe("set plan_cache_mode = force_generic_plan");
    await sql.unsafe(
      "prepare created_list(text, text, text, timestamptz, timestamptz) as select * from payments where partner_id = $1 and livemode = false and id >= $2 and id < $3 and created_at >= $4 and created_at <= $5 order by id desc limit 101",
    );
    const generic = await sql.unsafe(
      `explain (analyze, buffers, costs off) execute created_list('${partner}', '${from}', '${to}', '${new Date(mid).toISOString()}', '${new Date(mid + DAY_MS).toISOString()}')`,
    );
    out["created (generic plan)"] = generic.map((r) => String(r["QUERY PLAN"]));
  } finally {
    await sql.end({ timeout: 5 });
  }
  return out;
}
