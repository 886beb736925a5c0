// One webhook POST over node:http(s): a hard overall timeout (not just an idle one), redirects
// never followed (a 3xx is just a failed attempt), the response body drained and ignored, and a
// DNS lookup on every connection that refuses addresses the endpoint may not reach (ssrf-guard.ts).
import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import { type AttemptReason, classifyRequestError } from "./attempt-reasons.ts";
import { type AddressPolicy, blockedAddressReason, publicOnly } from "./blocked-addresses.ts";
import { createGuardedLookup, type Resolve } from "./ssrf-guard.ts";

/** An HTTP answer, or why there was none (`detail` is for the processor's log, never the API). */
export type PostResult = { statusCode: number } | { reason: AttemptReason; detail: string };

interface Pool {
  policy: AddressPolicy;
  http: http.Agent;
  https: https.Agent;
}

export interface WebhookAgents {
  /** Public addresses only: live endpoints, and test ones unless private targets are allowed. */
  guarded: Pool;
  /**
   * Test endpoints when the operator allows private targets. Separate sockets, so a live
   * delivery never reuses a connection opened to a private address for the same host name.
   */
  privateAllowed: Pool;
  destroy(): void;
}

export function createWebhookAgents(maxSockets: number, resolve?: Resolve): WebhookAgents {
  const pool = (policy: AddressPolicy): Pool => {
    // The lookup sits on the agents, so no socket of a pool can be opened without it.
    const opts = {
      keepAlive: true,
      maxSockets,
      maxFreeSockets: 16,
      timeout: 60_000,
      lookup: createGuardedLookup(policy, resolve),
    };
    return { policy, http: new http.Agent(opts), https: new https.Agent(opts) };
  };
  const guarded = pool(publicOnly);
  const privateAllowed = pool({ allowPrivate: true });
  return {
    guarded,
    privateAllowed,
    destroy() {
      for (const p of [guarded, privateAllowed]) {
        p.http.destroy();
        p.https.destroy();
      }
    },
  };
}

export function postWebhook(
  url: URL,
  body: string,
  headers: Record<string, string>,
  o: { timeoutMs: number; policy: AddressPolicy; agents: WebhookAgents; signal?: AbortSignal },
): Promise<PostResult> {
  const secure = url.protocol === "https:";
  const pool = o.policy.allowPrivate ? o.agents.privateAllowed : o.agents.guarded;
  const request = secure ? https.request : http.request;
  // Node connects to an IP literal without calling `lookup`, so literals are checked here.
  const literal = url.hostname.replace(/^\[|\]$/g, "");
  const blocked = isIP(literal) ? blockedAddressReason(literal, pool.policy) : undefined;
  if (blocked) {
    return Promise.resolve({ reason: "blocked_destination", detail: `refused: ${literal} is ${blocked}` });
  }
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener("abort", onAbort);
      resolve(result);
    };
    const req = request(url, {
      method: "POST",
      agent: secure ? pool.https : pool.http,
      headers: { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(body) },
    });
    const timer = setTimeout(() => {
      req.destroy();
      finish({ reason: "timeout", detail: `timed out after ${o.timeoutMs} ms` });
    }, o.timeoutMs);
    const onAbort = () => {
      req.destroy();
      finish({ reason: "interrupted", detail: "dispatcher stopping" });
    };
    o.signal?.addEventListener("abort", onAbort, { once: true });
    req.on("response", (res) => {
      res.on("error", () => finish({ reason: "connection_reset", detail: "response aborted" }));
      res.on("end", () => finish({ statusCode: res.statusCode ?? 0 }));
      res.resume();
    });
    req.on("error", (err: NodeJS.ErrnoException) =>
      finish({
        reason: classifyRequestError(err),
        detail: err.code ? `${err.code}: ${err.message}` : err.message,
      }),
    );
    req.end(body);
  });
}
