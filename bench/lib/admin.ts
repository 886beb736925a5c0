// The control plane's admin API, as the bench uses it: onboarding, limits, moves.
import { Pool } from "undici";
import type { BenchPartner } from "./workload.ts";

export class AdminClient {
  private readonly pool: Pool;
  constructor(
    url: string,
    private readonly token: string,
  ) {
    this.pool = new Pool(url, { connections: 32 });
  }

  async call<T>(method: "GET" | "POST" | "PUT", path: string, body?: unknown): Promise<T> {
    const res = await this.pool.request({
      method,
      path,
      headers: { authorization: `Bearer ${this.token}`, "content-type": "application/json" },
      body: body === undefined ? null : JSON.stringify(body),
    });
    const text = await res.body.text();
    if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${text.slice(0, 300)}`);
    return JSON.parse(text) as T;
  }

  setLimits(id: string, limits: { rate_limit?: { rate: number; burst: number }; max_concurrency?: number }) {
    return this.call<unknown>("PUT", `/admin/v1/partners/${id}/limits`, limits);
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** Onboards n partners in parallel, with a progress line; returns them and the seconds it took. */
export async function onboardPartners(
  admin: AdminClient,
  n: number,
  runId: string,
  /** The cell for the partner of this index, or undefined for the control plane's placement. */
  cellFor: (index: number) => string | undefined,
  concurrency = 16,
): Promise<{ partners: BenchPartner[]; seconds: number }> {
  const started = performance.now();
  const partners: BenchPartner[] = new Array(n);
  let next = 0;
  let done = 0;
  const progress = setInterval(() => {
    const s = (performance.now() - started) / 1000;
    console.log(`  onboarding: ${done}/${n} partners, ${s.toFixed(0)} s, ${(done / s).toFixed(0)}/s`);
  }, 5000);
  const worker = async () => {
    while (next < n) {
      const index = next++;
      const cellId = cellFor(index);
      const body = { name: `bench ${runId} #${index}`, ...(cellId ? { cell_id: cellId } : {}) };
      const created = await admin.call<{ id: string; api_key: string; cell_id: string }>(
        "POST",
        "/admin/v1/partners",
        body,
      );
      partners[index] = { index, id: created.id, apiKey: created.api_key, cell: created.cell_id };
      done++;
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    clearInterval(progress);
  }
  return { partners, seconds: (performance.now() - started) / 1000 };
}

/** Raises the limits of partners whose Zipf share of `peakRate` would pass the default 100/s. */
export async function liftHotPartnerLimits(
  admin: AdminClient,
  partners: BenchPartner[],
  share: (i: number) => number,
  peakRate: number,
): Promise<number> {
  const hot = partners.filter((p) => share(p.index) * peakRate > 40);
  await Promise.all(
    hot.map((p) =>
      admin.setLimits(p.id, {
        rate_limit: { rate: 100_000, burst: 100_000 },
        max_concurrency: 4096,
      }),
    ),
  );
  return hot.length;
}
