// Each cell of the routing table as the proxy sees it: its gateway instances (kept in step with
// the table), round-robin over the healthy ones, and the cell's circuit breaker.
import type { Logger } from "../shared/logger.ts";
import type { CellState, RouteCell } from "../shared/routing/routing-table.ts";
import { CircuitBreaker } from "./circuit-breaker.ts";
import { Upstream, type UpstreamOptions } from "./upstream.ts";

export interface CellPoolOptions extends UpstreamOptions {
  breakerThreshold: number;
  breakerCoolDownMs: number;
  now: () => number;
}

export class CellPool {
  readonly breaker: CircuitBreaker;
  state: CellState;
  private upstreams: Upstream[] = [];
  private next = 0;

  constructor(
    readonly cellId: string,
    cell: RouteCell,
    private readonly opts: CellPoolOptions,
    private readonly log: Logger,
  ) {
    this.state = cell.state;
    this.breaker = new CircuitBreaker({
      threshold: opts.breakerThreshold,
      coolDownMs: opts.breakerCoolDownMs,
      now: opts.now,
    });
    this.update(cell);
  }

  get instances(): readonly Upstream[] {
    return this.upstreams;
  }

  /** Healthy instances, starting at the next one in turn: the first is the pick, the rest are for retries. */
  healthyInTurn(): Upstream[] {
    const healthy = this.upstreams.filter((u) => u.healthy);
    if (healthy.length === 0) return healthy;
    const start = this.next++ % healthy.length;
    return [...healthy.slice(start), ...healthy.slice(0, start)];
  }

  /** Applies the table's view of this cell; returns the instances that left it, to be closed. */
  update(cell: RouteCell): Upstream[] {
    this.state = cell.state;
    const wanted = new Set(cell.gateways.map(normalise));
    const kept = this.upstreams.filter((u) => wanted.has(u.url));
    const removed = this.upstreams.filter((u) => !wanted.has(u.url));
    for (const url of wanted) {
      if (!kept.some((u) => u.url === url)) kept.push(new Upstream(url, this.cellId, this.opts, this.log));
    }
    this.upstreams = kept;
    return removed;
  }
}

/** All cells' pools, reconciled with the routing table whenever it changes. */
export class CellPools {
  private readonly pools = new Map<string, CellPool>();

  constructor(
    private readonly opts: CellPoolOptions,
    private readonly log: Logger,
  ) {}

  get(cellId: string): CellPool | undefined {
    return this.pools.get(cellId);
  }

  all(): IterableIterator<CellPool> {
    return this.pools.values();
  }

  sync(cells: Record<string, RouteCell>): void {
    const gone: Upstream[] = [];
    for (const [id, pool] of this.pools) {
      if (!(id in cells)) {
        gone.push(...pool.instances);
        this.pools.delete(id);
      }
    }
    for (const [id, cell] of Object.entries(cells)) {
      const pool = this.pools.get(id);
      if (pool) gone.push(...pool.update(cell));
      else this.pools.set(id, new CellPool(id, cell, this.opts, this.log));
    }
    // In-flight requests on a removed instance finish on their own; close() waits for them.
    for (const u of gone) void u.pool.close().catch(() => {});
  }

  async close(): Promise<void> {
    const all = [...this.pools.values()].flatMap((p) => [...p.instances]);
    this.pools.clear();
    await Promise.all(all.map((u) => u.close().catch(() => {})));
  }
}

/** undici wants an origin; the table may carry a trailing slash. */
function normalise(url: string): string {
  return new URL(url).origin;
}
