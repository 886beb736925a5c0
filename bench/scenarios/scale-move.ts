// The last phase of `scale`: a partner holding 10% of the loaded cell's payments (1 M at the
// default 10 M) is moved to the empty cell while it keeps paying, one request at a time through
// the router. Reports the copy time, the control plane's stall, the slowest answer the partner saw
// around the move, and checks afterwards that every payment of the partner is on the target.
import postgres from "postgres";
import { request } from "undici";
import type { BenchContext, Check } from "../lib/context.ts";
import { percentile } from "../lib/stats.ts";
import type { BenchPartner } from "../lib/workload.ts";

interface Move {
  id: string;
  status: string;
  stall_ms: number | null;
  error: string | null;
  progress?: { rows_copied?: number; catch_up_passes?: number };
}

export interface ScaleMoveResult {
  checks: Check[];
  note: string;
  extra: Record<string, unknown>;
}

export async function moveLoadedPartner(
  ctx: BenchContext,
  mover: BenchPartner,
  target: string,
): Promise<ScaleMoveResult> {
  const sourceUrl = ctx.platform.cellPostgres[mover.cell]!;
  const targetUrl = ctx.platform.cellPostgres[target]!;
  const before = await countRows(sourceUrl, mover.id);
  console.log(
    `  moving ${mover.id} (${before.payments.toLocaleString()} payments) ${mover.cell} → ${target}…`,
  );

  const answers: { at: number; ms: number; status: number }[] = [];
  const created: string[] = [];
  let stop = false;
  let n = 0;
  // The partner's traffic during the move: sequential, so each answer's latency is a stall seen.
  const traffic = (async () => {
    while (!stop) {
      const t0 = performance.now();
      const res = await request(`${ctx.platform.routerUrls[0]}/v1/payments`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${mover.apiKey}`,
          "content-type": "application/json",
          "idempotency-key": `scale-move-n${n++}-r${Math.random().toString(36).slice(2)}`,
        },
        body: JSON.stringify({
          amount: 1500,
          currency: "EUR",
          capture_method: "automatic",
          payment_method: {
            type: "card",
            card: { number: "4242424242424242", exp_month: 12, exp_year: 2034, cvc: "123" },
          },
        }),
      });
      const text = await res.body.text();
      answers.push({ at: t0, ms: performance.now() - t0, status: res.statusCode });
      if (res.statusCode < 300) created.push((JSON.parse(text) as { id: string }).id);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();

  const startedAt = performance.now();
  let move = await ctx.admin.call<Move>("POST", `/admin/v1/partners/${mover.id}/move`, {
    target_cell_id: target,
    reason: "bench: scale move of a partner with many payments",
  });
  let lastLog = 0;
  while (!["completed", "failed", "rolled_back"].includes(move.status)) {
    await new Promise((r) => setTimeout(r, 1000));
    move = await ctx.admin.call<Move>("GET", `/admin/v1/moves/${move.id}`);
    if (performance.now() - lastLog > 30_000) {
      lastLog = performance.now();
      console.log(`    ${move.status}: ${(move.progress?.rows_copied ?? 0).toLocaleString()} rows copied`);
    }
  }
  const moveSeconds = (performance.now() - startedAt) / 1000;
  // A few more seconds of traffic after the flip, then stop.
  await new Promise((r) => setTimeout(r, 3000));
  stop = true;
  await traffic;
  if (move.status === "completed") mover.cell = target;

  const after = await countRows(targetUrl, mover.id);
  const failed = answers.filter((a) => a.status >= 300);
  const sorted = Float64Array.from(answers.map((a) => a.ms)).sort();
  const longest = sorted.at(-1) ?? 0;
  const rowsCopied = move.progress?.rows_copied ?? 0;
  console.log(
    `  move ${move.status} in ${moveSeconds.toFixed(1)} s (${rowsCopied.toLocaleString()} rows, ${Math.round(rowsCopied / moveSeconds).toLocaleString()} rows/s); stall ${move.stall_ms} ms; slowest answer ${longest.toFixed(0)} ms; ${failed.length}/${answers.length} failed`,
  );
  return {
    checks: [
      {
        name: "the 1 M-payment move finished",
        pass: move.status === "completed",
        detail: `${move.status} ${move.error ?? ""}`,
      },
      {
        name: "no request of the moving partner failed",
        pass: failed.length === 0,
        detail: `${failed.length} failed of ${answers.length} (${[...new Set(failed.map((f) => f.status))].join(", ")})`,
      },
      {
        name: "every payment of the partner is on the target",
        pass: after.payments === before.payments + created.length && after.refunds === before.refunds,
        detail: `payments ${after.payments} = ${before.payments} + ${created.length}; refunds ${after.refunds} of ${before.refunds}`,
      },
    ],
    note: `Move of ${mover.id} (${before.payments.toLocaleString()} payments, ${before.refunds.toLocaleString()} refunds) to ${target} while it paid one request at a time: ${move.status} in ${moveSeconds.toFixed(1)} s, ${rowsCopied.toLocaleString()} rows copied, stall ${move.stall_ms} ms (control plane), slowest answer ${longest.toFixed(0)} ms, p99 ${percentile(sorted, 99).toFixed(0)} ms over ${answers.length} requests.`,
    extra: {
      move,
      moveSeconds,
      rowsCopied,
      before,
      after,
      requests: answers.length,
      failed: failed.length,
      longestAnswerMs: Math.round(longest),
      p50Ms: Math.round(percentile(sorted, 50)),
      p99Ms: Math.round(percentile(sorted, 99)),
    },
  };
}

async function countRows(url: string, partnerId: string) {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [p] = await sql<
      { n: number }[]
    >`select count(*)::int as n from payments where partner_id = ${partnerId}`;
    const [r] = await sql<
      { n: number }[]
    >`select count(*)::int as n from refunds where partner_id = ${partnerId}`;
    return { payments: p?.n ?? 0, refunds: r?.n ?? 0 };
  } finally {
    await sql.end({ timeout: 5 });
  }
}
