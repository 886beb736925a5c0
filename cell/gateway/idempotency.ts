// Idempotency-Key handling for every POST (Stripe-like "atomic phases" in Postgres):
// - no key: the work just runs;
// - new key: claimed before any work; the work links the resource it creates to the key and
//   finishes the key with its response in the same statement as its last change;
// - same key, same body, finished: the stored response is replayed (`idempotent-replayed: true`);
// - same key, other body: 422; same key still running: 409 (retry shortly);
// - same key whose request died (lock older than idempotencyLockMs): the retry resumes the work
//   from the resource it had created, so a crash at any point never charges twice.
import type { Context, TypedResponse } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ApiError, invalidRequest } from "../../shared/errors.ts";
import { claimKey, finishKey, readKey, releaseKey, takeOverKey } from "../db/queries/idempotency.ts";
import { KeyAlreadyClaimed } from "../payments/payment-deps.ts";
import { containsCardNumber } from "../vault/pan-detector.ts";
import type { AppEnv } from "./app-env.ts";

export interface IdempotencyContext {
  key: string;
  /** Set when resuming a request that died after creating this resource. */
  resumeResourceId: string | undefined;
  /**
   * Set when the key is not claimed yet and the work claims it in its first write (saving a round
   * trip and a commit): that write inserts the key with this hash, or throws KeyAlreadyClaimed.
   */
  claimWithHash: string | undefined;
}

export { KeyAlreadyClaimed };

export interface WorkResult<T> {
  body: T;
  /** True when the work already finished the key in its own last statement. */
  keyFinished: boolean;
}

/** Runs `work` under the request's Idempotency-Key (if any); answers `status` with its body. */
export async function runIdempotently<T, S extends ContentfulStatusCode>(
  c: Context<AppEnv>,
  body: unknown,
  status: S,
  work: (idem: IdempotencyContext | undefined) => Promise<WorkResult<T>>,
  opts: { claimsInFirstWrite?: boolean } = {},
): Promise<TypedResponse<T, S, "json">> {
  const answer = (payload: unknown, code: ContentfulStatusCode) =>
    c.json(payload as object, code) as unknown as TypedResponse<T, S, "json">;
  const key = c.req.header("idempotency-key");
  if (key === undefined) return answer((await work(undefined)).body, status);
  if (key.length === 0 || key.length > 255) {
    throw invalidRequest("idempotency-key", "Idempotency-Key must be 1 to 255 characters.");
  }
  // The key is stored: a card number in it would be a PAN in clear in Postgres.
  if (containsCardNumber(key)) {
    throw new ApiError("card_number_in_free_text", "Idempotency-Key must not contain a card number.", {
      param: "idempotency-key",
    });
  }
  const { sql, vault, config } = c.get("deps");
  const { scope } = c.get("partner");
  const requestHash = vault.digest(
    `${c.req.method} ${c.req.path}\n${stableJson(withoutCardSecrets(body, vault.fingerprint))}`,
  );

  const run = async (idem: IdempotencyContext) => {
    try {
      const result = await work(idem);
      if (!result.keyFinished) await finishKey(sql, scope, key, status, result.body);
      return answer(result.body, status);
    } catch (err) {
      if (err instanceof KeyAlreadyClaimed) throw err;
      if (err instanceof ApiError && err.status < 500) {
        // The request ran and was refused: that answer is the key's answer from now on.
        await finishKey(sql, scope, key, err.status, err.toBody(c.get("requestId")));
      } else {
        await releaseKey(sql, scope, key).catch(() => {});
      }
      throw err;
    }
  };

  if (opts.claimsInFirstWrite) {
    try {
      return await run({ key, resumeResourceId: undefined, claimWithHash: requestHash });
    } catch (err) {
      if (!(err instanceof KeyAlreadyClaimed)) throw err;
    }
  } else if (await claimKey(sql, scope, key, requestHash)) {
    return run({ key, resumeResourceId: undefined, claimWithHash: undefined });
  }

  // The key exists: replay, refuse, or take over a request that died.
  {
    const row = await readKey(sql, scope, key);
    if (!row) throw new ApiError("idempotency_key_in_use", "Idempotency-Key is being used; retry shortly.");
    if (row.request_hash !== requestHash) {
      throw new ApiError(
        "idempotency_key_reused",
        "This Idempotency-Key was used with a different request.",
        {
          param: "idempotency-key",
        },
      );
    }
    if (row.recovery_point === "finished") {
      c.header("idempotent-replayed", "true");
      return answer(row.response_body, row.response_status as ContentfulStatusCode);
    }
    if (!(await takeOverKey(sql, scope, key, config.idempotencyLockMs))) {
      throw new ApiError(
        "idempotency_key_in_use",
        "A request with this Idempotency-Key is in progress; retry shortly.",
        {
          headers: { "retry-after": "1" },
        },
      );
    }
    return run({ key, resumeResourceId: row.resource_id ?? undefined, claimWithHash: undefined });
  }
}

/**
 * The body as the request hash sees it. PCI DSS 3.3.1.2: nothing derived from the CVC may be kept
 * after authorization, so every `cvc` is left out (a retry that changes only the CVC replays). The
 * PAN is replaced by the vault's card fingerprint (a keyed HMAC, the one stored on payments), so
 * the stored hash adds nothing about the card; another card still gives another hash (422).
 */
export function withoutCardSecrets(value: unknown, fingerprint: (pan: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => withoutCardSecrets(v, fingerprint));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (k === "cvc") continue;
    if (k === "number" && typeof v === "string") {
      out.number_fingerprint = fingerprint(v.replace(/\D/g, ""));
      continue;
    }
    out[k] = withoutCardSecrets(v, fingerprint);
  }
  return out;
}

/** JSON with sorted keys, so the same body in another key order is the same request. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
