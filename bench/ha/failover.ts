// `npm run bench -- --scenario failover [--rate per-cell/s, default 15] [--duration s]`: open-loop payments on
// two replicated cells (Patroni primary + synchronous standby each); 5 s in, cell-a's primary
// postmaster is SIGKILLed. Reported: cell-a's refusal window (first to last non-2xx), the
// acknowledged payments lost and those charged twice (after every refused key was retried), and
// cell-b's success ratio (it shares nothing with cell-a, so 100%).
import { cpus, loadavg } from "node:os";
import { type BenchCell, pay, type Sent, startBenchCell } from "./ha-cell.ts";
import type { HaReport } from "./ha-report.ts";

const KILL_AFTER_MS = 5_000;

/** The partner retries each refused key until it gets its 201 (at most 60 rounds). */
async function retryRefused(cell: BenchCell, refused: Sent[]): Promise<number> {
  const pending = new Set(refused.map((r) => r.key));
  for (let round = 0; round < 60 && pending.size > 0; round++) {
    await Promise.all(
      [...pending].map(async (key) => {
        if ((await pay(cell, key)).status === 201) pending.delete(key);
      }),
    );
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 500));
  }
  return pending.size;
}

/** Acknowledged payments whose row is missing or differs, and references with more than one row. */
async function lostAndTwice(cell: BenchCell, prefix: string, acked: Sent[]) {
  const rows = await cell.sql<{ reference: string; id: string; n: number }[]>`
    select reference, min(id) as id, count(*)::int as n from payments
    where reference like ${`${prefix}-%`} group by reference`;
  const byReference = new Map(rows.map((r) => [r.reference, r]));
  return {
    lost: acked.filter((r) => byReference.get(r.key)?.id !== r.id).length,
    twice: rows.filter((r) => r.n > 1).length,
  };
}

export async function runFailover(opts: {
  rate: number;
  durationSeconds: number;
}): Promise<Omit<HaReport, "startedAt">> {
  const totalMs = Math.max(opts.durationSeconds * 1000, KILL_AFTER_MS + 15_000);
  const cellA = await startBenchCell("cell-a", 2);
  const cellB = await startBenchCell("cell-b", 2).catch(async (err) => {
    await cellA.stop();
    throw err;
  });
  try {
    const cluster = cellA.infra.replicatedPostgres!.cluster;
    const leader = (await cluster.leaderIndex())!;
    const sentA: Promise<Sent>[] = [];
    const sentB: Promise<Sent>[] = [];
    const start = performance.now();
    let killedAt = 0;
    for (let i = 0; performance.now() - start < totalMs; i++) {
      const wait = start + (i * 1000) / opts.rate - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (killedAt === 0 && performance.now() - start >= KILL_AFTER_MS) {
        process.kill((await cluster.postmasterPid(leader))!, "SIGKILL");
        killedAt = performance.now();
      }
      // Open loop: never wait for the answer.
      sentA.push(pay(cellA, `fo-a-${i}`));
      sentB.push(pay(cellB, `fo-b-${i}`));
    }
    const [a, b] = [await Promise.all(sentA), await Promise.all(sentB)];
    const refusedA = a.filter((r) => r.status !== 201);
    const ackedA = a.filter((r) => r.status === 201);
    const okB = b.filter((r) => r.status === 201).length;
    const statusesB: Record<string, number> = {};
    for (const r of b) if (r.status !== 201) statusesB[r.status] = (statusesB[r.status] ?? 0) + 1;
    const windowS =
      refusedA.length === 0
        ? 0
        : (Math.max(...refusedA.map((r) => r.at + r.ms)) - Math.min(...refusedA.map((r) => r.at))) / 1000;
    const firstRefusedAfterKillS =
      refusedA.length === 0 ? null : (Math.min(...refusedA.map((r) => r.at)) - killedAt) / 1000;
    const unresolved = await retryRefused(cellA, refusedA);
    const { lost, twice } = await lostAndTwice(cellA, "fo-a", ackedA);
    const statuses: Record<string, number> = {};
    for (const r of refusedA) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    const newLeader = await cluster.leaderIndex();
    const successB = okB / b.length;
    const figures = {
      rate_per_cell: opts.rate,
      seconds: totalMs / 1000,
      killed: `cell-a node ${leader} postmaster (SIGKILL) at ${KILL_AFTER_MS / 1000} s`,
      new_primary: newLeader ?? null,
      cell_a: {
        sent: a.length,
        acknowledged: ackedA.length,
        refused: refusedA.length,
        refused_by_status: statuses,
        refusal_window_s: Number(windowS.toFixed(2)),
        first_refusal_after_kill_s:
          firstRefusedAfterKillS === null ? null : Number(firstRefusedAfterKillS.toFixed(2)),
        slowest_answer_s: Number((Math.max(...a.map((r) => r.ms)) / 1000).toFixed(2)),
        acknowledged_lost: lost,
        charged_twice: twice,
        unresolved_after_retries: unresolved,
      },
      cell_b: { sent: b.length, succeeded: okB, success_ratio: successB, refused_by_status: statusesB },
      load_average_at_end: loadavg(),
    };
    const lines = [
      `open loop ${opts.rate}/s on each of cell-a and cell-b for ${totalMs / 1000} s; ${figures.killed}; new primary: node ${newLeader}`,
      `cell-a: sent ${a.length}, acknowledged ${ackedA.length}, refused ${refusedA.length} (${
        Object.entries(statuses)
          .map(([s, n]) => `${n}× ${s}`)
          .join(", ") || "none"
      })`,
      `cell-a refusal window (first to last non-2xx): ${windowS.toFixed(2)} s; slowest answer ${figures.cell_a.slowest_answer_s} s`,
      `cell-a acknowledged payments lost: ${lost}; charged twice: ${twice}; refused keys unresolved after retries: ${unresolved}`,
      `cell-b success ratio: ${(successB * 100).toFixed(2)}% (${okB}/${b.length}; others: ${JSON.stringify(statusesB)})`,
      `machine load average at the end (1/5/15 min): ${loadavg()
        .map((l) => l.toFixed(1))
        .join(" ")} on ${cpus().length} cores`,
    ];
    for (const line of lines) console.log(`  ${line}`);
    return {
      scenario: "failover",
      machine: { cpus: cpus().length },
      lines,
      figures,
      checks: [
        { name: "acknowledged payments lost", pass: lost === 0, detail: String(lost) },
        { name: "payments charged twice", pass: twice === 0, detail: String(twice) },
        { name: "refused keys converge on retry", pass: unresolved === 0, detail: String(unresolved) },
        {
          name: "refusals are 503 (never 500)",
          pass: refusedA.every((r) => r.status === 503),
          detail: JSON.stringify(statuses),
        },
        { name: "cell-b success ratio 100%", pass: okB === b.length, detail: `${okB}/${b.length}` },
        { name: "refusal window <= 10 s (aim)", pass: windowS <= 10, detail: `${windowS.toFixed(2)} s` },
      ],
    };
  } finally {
    await cellA.stop();
    await cellB.stop();
  }
}
