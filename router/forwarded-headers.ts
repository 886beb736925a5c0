// Which headers cross the router. Hop-by-hop headers belong to one connection (RFC 9110 §7.6.1)
// and are dropped both ways; the request gains x-forwarded-* and a request-id the cell echoes.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";

const hopByHop = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/**
 * The headers to drop: hop-by-hop ones, and those the Connection header names for this
 * connection. The common values (keep-alive, close) name nothing else, so skip the set copy.
 */
function connectionScoped(connection: string | string[] | undefined): Set<string> {
  const value = Array.isArray(connection) ? connection.join(",") : connection;
  if (!value || commonConnection.test(value)) return hopByHop;
  const named = value.split(",").map((h) => h.trim().toLowerCase());
  return new Set([...hopByHop, ...named]);
}

const commonConnection = /^\s*(keep-alive|close)\s*$/i;

export function upstreamRequestHeaders(
  incoming: IncomingHttpHeaders,
  extra: { requestId: string; clientIp: string | undefined; traceparent?: string; tls?: boolean },
): Record<string, string | string[]> {
  const drop = connectionScoped(incoming.connection);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(incoming)) {
    // host is the router's; content-length is recomputed from the (buffered) body by undici.
    if (value === undefined || drop.has(name) || name === "host" || name === "content-length") continue;
    out[name] = value;
  }
  const prior = incoming["x-forwarded-for"];
  const chain = Array.isArray(prior) ? prior.join(", ") : prior;
  if (extra.clientIp) out["x-forwarded-for"] = chain ? `${chain}, ${extra.clientIp}` : extra.clientIp;
  if (incoming.host) out["x-forwarded-host"] = incoming.host;
  out["x-forwarded-proto"] = extra.tls ? "https" : "http";
  out["request-id"] = extra.requestId;
  if (extra.traceparent) out.traceparent = extra.traceparent;
  return out;
}

export function downstreamResponseHeaders(
  upstream: Record<string, string | string[] | undefined>,
): OutgoingHttpHeaders {
  const drop = connectionScoped(upstream.connection);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(upstream)) {
    if (value !== undefined && !drop.has(name)) out[name] = value;
  }
  return out;
}
