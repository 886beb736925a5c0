// One webhook POST over node:http(s): a hard overall timeout (not just an idle one), redirects
// never followed (a 3xx is just a failed attempt), the response body drained and ignored, and for
// live endpoints a DNS lookup that refuses non-public addresses (see ssrf-guard.ts).
import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import { blockedAddressReason, publicOnlyLookup } from "./ssrf-guard.ts";

export type PostResult = { statusCode: number } | { error: string };

export interface WebhookAgents {
  /** Live endpoints: sockets opened through the public-only lookup. */
  guarded: { http: http.Agent; https: https.Agent };
  /** Test endpoints. Separate pools, so a live delivery never reuses a socket opened unchecked. */
  open: { http: http.Agent; https: https.Agent };
  destroy(): void;
}

export function createWebhookAgents(maxSockets: number): WebhookAgents {
  const opts = { keepAlive: true, maxSockets, maxFreeSockets: 16, timeout: 60_000 };
  const agents = {
    guarded: { http: new http.Agent(opts), https: new https.Agent(opts) },
    open: { http: new http.Agent(opts), https: new https.Agent(opts) },
  };
  return {
    ...agents,
    destroy() {
      for (const a of [agents.guarded.http, agents.guarded.https, agents.open.http, agents.open.https])
        a.destroy();
    },
  };
}

export function postWebhook(
  url: URL,
  body: string,
  headers: Record<string, string>,
  o: { timeoutMs: number; publicOnly: boolean; agents: WebhookAgents; signal?: AbortSignal },
): Promise<PostResult> {
  const secure = url.protocol === "https:";
  const pool = o.publicOnly ? o.agents.guarded : o.agents.open;
  const request = secure ? https.request : http.request;
  // Node connects to an IP literal without calling `lookup`, so literals are checked here.
  const literal = url.hostname.replace(/^\[|\]$/g, "");
  const blocked = o.publicOnly && isIP(literal) ? blockedAddressReason(literal) : undefined;
  if (blocked) return Promise.resolve({ error: `refused: ${literal} is ${blocked}` });
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
      ...(o.publicOnly ? { lookup: publicOnlyLookup } : {}),
    });
    const timer = setTimeout(() => {
      req.destroy();
      finish({ error: `timed out after ${o.timeoutMs} ms` });
    }, o.timeoutMs);
    const onAbort = () => {
      req.destroy();
      finish({ error: "interrupted: dispatcher stopping" });
    };
    o.signal?.addEventListener("abort", onAbort, { once: true });
    req.on("response", (res) => {
      res.on("error", () => finish({ error: "response aborted" }));
      res.on("end", () => finish({ statusCode: res.statusCode ?? 0 }));
      res.resume();
    });
    req.on("error", (err: NodeJS.ErrnoException) =>
      finish({ error: err.code ? `${err.code}: ${err.message}` : err.message }),
    );
    req.end(body);
  });
}
