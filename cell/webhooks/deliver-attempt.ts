// One attempt of one leased delivery: build the event envelope, sign it with the endpoint's
// secret(s), POST it, then record the attempt and the delivery's next state (succeeded, a retry
// time with backoff, or dead).
import type { Logger } from "../../shared/logger.ts";
import { SpanKind, startSpan } from "../../shared/telemetry/trace-context.ts";
import { renderEventFor } from "../api-versions/render-event.ts";
import type { Sql } from "../db/client.ts";
import { type AttemptOutcome, type ClaimedDelivery, recordAttempt } from "../db/queries/webhooks.ts";
import type { EventEnvelope } from "../events/envelope.ts";
import type { Vault } from "../vault/vault.ts";
import { type AttemptReason, reasonForStatus, shownDurationMs } from "./attempt-reasons.ts";
import { type BackoffPolicy, decideRetry } from "./backoff.ts";
import { type PostResult, postWebhook, type WebhookAgents } from "./http-post.ts";
import { SIGNATURE_HEADER, signPayload } from "./signature.ts";
import { policyFor } from "./ssrf-guard.ts";

export interface AttemptContext {
  cellId: string;
  sql: Sql;
  log: Logger;
  clock: () => Date;
  random: () => number;
  policy: BackoffPolicy;
  timeoutMs: number;
  agents: WebhookAgents;
  /** Test-mode endpoints may reach private addresses (WEBHOOK_ALLOW_PRIVATE_TARGETS, local only). */
  allowPrivateTargets: boolean;
  openSecret: (sealed: string, endpointId: string) => Promise<string>;
  signal: AbortSignal;
  /** Told each attempt's outcome and duration (processor-metrics.ts counts them). */
  onAttempt?: ((status: AttemptOutcome["status"], ms: number) => void) | undefined;
}

/** Opened secrets by their ciphertext (a roll changes the ciphertext, so entries never go stale). */
export function createSecretOpener(vault: Vault, maxEntries = 1000) {
  const opened = new Map<string, Promise<string>>();
  return (sealed: string, endpointId: string): Promise<string> => {
    let secret = opened.get(sealed);
    if (!secret) {
      if (opened.size >= maxEntries) opened.clear();
      secret = vault.open(sealed, endpointId);
      secret.catch(() => opened.delete(sealed));
      opened.set(sealed, secret);
    }
    return secret;
  };
}

export function envelopeOf(d: ClaimedDelivery, cellId: string): EventEnvelope {
  return {
    id: d.event_id,
    type: d.event_type!,
    partner_id: d.partner_id,
    livemode: d.livemode,
    cell_id: cellId,
    created: Math.floor(d.event_created_at!.getTime() / 1000),
    data: d.event_data,
  };
}

async function send(ctx: AttemptContext, d: ClaimedDelivery, now: Date): Promise<PostResult> {
  if (d.endpoint_status !== "enabled") return { reason: "endpoint_disabled", detail: "endpoint disabled" };
  if (!d.event_type || !d.event_created_at) return { reason: "event_not_found", detail: "event not found" };
  // Stored once in the newest shape, rendered in the endpoint's version; the signature is over this.
  const body = JSON.stringify(renderEventFor(envelopeOf(d, ctx.cellId), d.endpoint_api_version));
  const secrets = [await ctx.openSecret(d.secret_sealed, d.endpoint_id)];
  if (d.previous_secret_sealed && d.previous_secret_expires_at && d.previous_secret_expires_at > now) {
    secrets.push(await ctx.openSecret(d.previous_secret_sealed, d.endpoint_id));
  }
  // The POST continues the trace of the request that wrote the event.
  const traced = startSpan("webhook POST", d.event_trace_parent ?? undefined, SpanKind.CLIENT);
  const headers = {
    [SIGNATURE_HEADER]: signPayload(body, secrets, now),
    "Cellpay-Event-Id": d.event_id,
    "Cellpay-Delivery-Id": d.id,
    "user-agent": "cellpay-webhooks/1",
    traceparent: traced.traceparent,
  };
  return postWebhook(new URL(d.url), body, headers, {
    timeoutMs: ctx.timeoutMs,
    policy: policyFor(d.mode, ctx.allowPrivateTargets),
    agents: ctx.agents,
    signal: ctx.signal,
  }).finally(() => traced.span.end());
}

/**
 * Performs the attempt and records it; returns the next attempt time when one is scheduled.
 * `onSent` runs as soon as the HTTP exchange is over: the partner's slot is about concurrent
 * requests to its endpoint, so it is freed before the bookkeeping round trip.
 */
export async function attemptDelivery(
  ctx: AttemptContext,
  d: ClaimedDelivery,
  onSent: () => void = () => {},
): Promise<Date | undefined> {
  const now = ctx.clock();
  const started = performance.now();
  let result: PostResult;
  try {
    result = await send(ctx, d, now);
  } catch (err) {
    result = { reason: "connection_error", detail: `could not send: ${(err as Error).message}` };
  } finally {
    onSent();
  }
  const durationMs = Math.round(performance.now() - started);
  const statusCode = "statusCode" in result ? result.statusCode : null;
  const ok = statusCode !== null && statusCode >= 200 && statusCode < 300;
  // Partners see only the class of a failure (attempt-reasons.ts); the detail stays in our log.
  const reason: AttemptReason | null =
    "reason" in result ? result.reason : ok || statusCode === null ? null : reasonForStatus(statusCode);
  const detail = "detail" in result ? result.detail : null;
  const base = {
    deliveryId: d.id,
    partnerId: d.partner_id,
    attempt: d.attempt,
    statusCode,
    error: reason,
    durationMs: shownDurationMs(durationMs, reason),
  };
  let outcome: AttemptOutcome;
  if (ok) {
    outcome = { ...base, attemptedAt: now, status: "succeeded", nextAttemptAt: now };
  } else if (reason === "endpoint_disabled" || reason === "event_not_found") {
    outcome = { ...base, attemptedAt: now, status: "dead", nextAttemptAt: now };
  } else if (ctx.signal.aborted) {
    // Shutting down is not the endpoint's fault: hand the delivery back at once, no backoff.
    outcome = { ...base, attemptedAt: now, status: "pending", nextAttemptAt: now };
  } else {
    const decision = decideRetry(d.failures + 1, d.created_at, ctx.clock(), ctx.policy, ctx.random);
    outcome =
      decision.status === "dead"
        ? { ...base, attemptedAt: now, status: "dead", nextAttemptAt: now }
        : { ...base, attemptedAt: now, status: "pending", nextAttemptAt: decision.nextAttemptAt };
  }
  await recordAttempt(ctx.sql, outcome);
  ctx.onAttempt?.(outcome.status, durationMs);
  ctx.log.debug(
    {
      delivery_id: d.id,
      partner_id: d.partner_id,
      attempt: d.attempt,
      status_code: statusCode,
      reason,
      detail,
      status: outcome.status,
    },
    "webhook attempt",
  );
  return outcome.status === "pending" ? outcome.nextAttemptAt : undefined;
}
