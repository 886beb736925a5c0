// When a failed delivery is tried again: exponential backoff with full jitter (AWS's "Exponential
// Backoff And Jitter"): the delay is uniform in [0, min(cap, base·2^(n-1))], which spreads the
// retries of many deliveries that failed together (an endpoint that was down) instead of
// synchronising them into bursts. After `maxAgeMs` from the delivery's creation it is dead.

export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
  maxAgeMs: number;
}

/** Delay before the next try after `failures` consecutive failed attempts (1 = the first failure). */
export function backoffDelayMs(
  failures: number,
  policy: Pick<BackoffPolicy, "baseMs" | "capMs">,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, failures - 1));
  return Math.floor(random() * ceiling);
}

export type RetryDecision = { status: "pending"; nextAttemptAt: Date } | { status: "dead" };

/**
 * After a failed attempt: the next try, or dead once the delivery is older than the max age. The
 * last try is pulled in to the max-age deadline, so a delivery always gets one try at its end.
 */
export function decideRetry(
  failures: number,
  createdAt: Date,
  now: Date,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): RetryDecision {
  const deadline = createdAt.getTime() + policy.maxAgeMs;
  if (now.getTime() >= deadline) return { status: "dead" };
  const at = Math.min(now.getTime() + backoffDelayMs(failures, policy, random), deadline);
  return { status: "pending", nextAttemptAt: new Date(at) };
}
