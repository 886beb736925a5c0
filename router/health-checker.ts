// Active health checks: every instance of every cell gets GET /healthz on a fixed interval. A
// failing instance leaves the rotation until a check passes again.
import type { CellPools } from "./cell-pool.ts";

export function startHealthChecks(
  pools: CellPools,
  opts: { intervalMs: number; timeoutMs: number },
): { stop(): void } {
  let running = false;
  const timer = setInterval(() => {
    // A slow round must not overlap the next one and double the probes.
    if (running) return;
    running = true;
    const checks = [...pools.all()].flatMap((p) => p.instances.map((u) => u.check(opts.timeoutMs)));
    void Promise.all(checks).finally(() => {
      running = false;
    });
  }, opts.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
