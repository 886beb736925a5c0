// Sends due webhook deliveries. Per-partner isolation: at most `perPartnerConcurrency` deliveries
// of one partner in flight in this process (and as many leased, waiting), and a global cap; the
// claim query skips partners at their cap, so a partner whose endpoint hangs only ever holds its
// own slots (partner-slots.ts). Wake-ups: a NOTIFY
// from the fan-out (new deliveries), a timer at the next retry this process scheduled, a freed
// slot, and a slow poll as the safety net (retries scheduled by other processes, expired leases).
import { claimDueDeliveries, DELIVERIES_CHANNEL, releaseLeases } from "../db/queries/webhooks.ts";
import type { ProcessorDeps } from "../events/processors/event-handler.ts";
import { type AttemptContext, attemptDelivery, createSecretOpener } from "./deliver-attempt.ts";
import { createWebhookAgents } from "./http-post.ts";
import { PartnerSlots } from "./partner-slots.ts";
import type { Resolve } from "./ssrf-guard.ts";

export interface DispatcherOptions {
  /** Per attempt, connect to end of response (WEBHOOK_TIMEOUT_MS). */
  timeoutMs: number;
  perPartnerConcurrency: number;
  globalConcurrency: number;
  backoffBaseMs: number;
  backoffCapMs: number;
  /** A delivery failing for longer than this is dead (WEBHOOK_MAX_AGE_MS, 3 days). */
  maxAgeMs: number;
  pollIntervalMs: number;
  /**
   * Test-mode endpoints may reach loopback/private addresses (WEBHOOK_ALLOW_PRIVATE_TARGETS).
   * For local development only; live endpoints never may, whatever this says.
   */
  allowPrivateTargets: boolean;
  /** DNS resolution of every delivery connection (tests pass their own to play DNS rebinding). */
  resolve?: Resolve | undefined;
  /** Jitter source for backoff (tests pass a seeded or narrowed one). */
  random: () => number;
  onAttempt?: AttemptContext["onAttempt"];
}

export const defaultDispatcherOptions: DispatcherOptions = {
  timeoutMs: 10_000,
  perPartnerConcurrency: 4,
  globalConcurrency: 64,
  backoffBaseMs: 1000,
  backoffCapMs: 3_600_000,
  maxAgeMs: 3 * 24 * 3_600_000,
  pollIntervalMs: 1000,
  allowPrivateTargets: false,
  random: Math.random,
};

export interface WebhookDispatcher {
  stop(): Promise<void>;
}

export function startWebhookDispatcher(
  deps: ProcessorDeps,
  options: Partial<DispatcherOptions> = {},
): WebhookDispatcher {
  const o = { ...defaultDispatcherOptions, ...options };
  const slots = new PartnerSlots(o.perPartnerConcurrency, o.globalConcurrency);
  const running = new Set<Promise<void>>();
  const abort = new AbortController();
  const agents = createWebhookAgents(o.globalConcurrency, o.resolve);
  const ctx: AttemptContext = {
    cellId: deps.cellId,
    sql: deps.sql,
    log: deps.log,
    clock: deps.clock,
    random: o.random,
    policy: { baseMs: o.backoffBaseMs, capMs: o.backoffCapMs, maxAgeMs: o.maxAgeMs },
    timeoutMs: o.timeoutMs,
    agents,
    allowPrivateTargets: o.allowPrivateTargets,
    openSecret: createSecretOpener(deps.vault),
    signal: abort.signal,
    onAttempt: o.onAttempt,
  };
  // A lease covers waiting for a slot (at most one attempt's timeout, as a partner holds at most
  // K waiting behind K running) plus the attempt itself: only a dead process's leases expire.
  const leaseMs = o.timeoutMs * 2 + 5000;
  let claiming = false;
  let again = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Number.POSITIVE_INFINITY;

  function wakeAt(at: number) {
    if (stopped || at >= timerAt) return;
    clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(
      () => {
        timerAt = Number.POSITIVE_INFINITY;
        void fill();
      },
      Math.max(0, at - deps.clock().getTime()),
    );
  }

  function startReady() {
    if (stopped) return;
    const now = deps.clock().getTime();
    const { start, stale } = slots.startable(now - (leaseMs - o.timeoutMs - 1000));
    if (stale.length > 0) {
      void releaseLeases(
        deps.sql,
        stale.map((d) => d.id),
        deps.clock(),
      ).catch((err: Error) => deps.log.warn({ err: err.message }, "could not release stale webhook leases"));
    }
    for (const d of start) {
      let freed = false;
      const free = () => {
        if (freed) return;
        freed = true;
        slots.done(d.partner_id);
        startReady();
      };
      const run = attemptDelivery(ctx, d, free)
        .then((next) => next && wakeAt(next.getTime()))
        .catch((err: Error) =>
          deps.log.error({ err: err.message, delivery_id: d.id }, "webhook attempt failed"),
        )
        .finally(() => {
          free();
          running.delete(run);
          void fill();
        });
      running.add(run);
    }
  }

  /** Leases as much due work as the free slots allow; concurrent calls fold into one more round. */
  async function fill(): Promise<void> {
    if (claiming) {
      again = true;
      return;
    }
    claiming = true;
    try {
      do {
        again = false;
        const free = slots.freeToClaim();
        if (stopped || free <= 0) break;
        const now = deps.clock();
        const claimed = await claimDueDeliveries(deps.sql, {
          now,
          leaseUntil: new Date(now.getTime() + leaseMs),
          limit: free,
          perPartner: slots.perPartnerHold,
          busy: slots.held(),
        });
        for (const d of claimed) slots.add(d, now.getTime());
        startReady();
        if (claimed.length === free) again = true;
      } while (again && !stopped);
    } catch (err) {
      deps.log.error({ err: (err as Error).message }, "webhook claim failed; retrying on the next poll");
    } finally {
      claiming = false;
    }
  }

  const poll = setInterval(() => void fill(), o.pollIntervalMs);
  const listening = deps.sql
    .listen(DELIVERIES_CHANNEL, () => void fill())
    .catch((err: Error) => {
      deps.log.warn({ err: err.message }, "webhook LISTEN failed; falling back to polling");
      return undefined;
    });
  void fill();

  return {
    async stop() {
      stopped = true;
      clearInterval(poll);
      clearTimeout(timer);
      await (await listening)?.unlisten();
      while (claiming) await new Promise((resolve) => setTimeout(resolve, 5));
      // Waiting leases go back unattempted; running attempts are cut short and handed back too.
      const queued = slots.drainQueued().map((d) => d.id);
      await releaseLeases(deps.sql, queued, deps.clock()).catch((err: Error) =>
        deps.log.warn({ err: err.message }, "could not release webhook leases; they expire on their own"),
      );
      abort.abort();
      await Promise.allSettled([...running]);
      agents.destroy();
    },
  };
}
