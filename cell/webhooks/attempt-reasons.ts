// Why a webhook attempt failed, as partners see it: a small closed set of classes, never the raw
// error text (which names internal addresses, ports and resolver details) and never finer timing
// than the class needs. The raw error goes to the processor's own log only.

export const attemptReasons = [
  "blocked_destination",
  "dns_error",
  "connection_refused",
  "connection_reset",
  "unreachable",
  "timeout",
  "tls_error",
  "invalid_response",
  "http_1xx",
  "http_3xx",
  "http_4xx",
  "http_5xx",
  "endpoint_disabled",
  "event_not_found",
  "interrupted",
  "connection_error",
] as const;

export type AttemptReason = (typeof attemptReasons)[number];

const reasonSet = new Set<string>(attemptReasons);

/** Rows written before the reasons were classified hold raw text: shown as the catch-all class. */
export const asAttemptReason = (stored: string | null): AttemptReason | null =>
  stored === null ? null : reasonSet.has(stored) ? (stored as AttemptReason) : "connection_error";

/** The class of a non-2xx answer. */
export function reasonForStatus(status: number): AttemptReason {
  if (status >= 500) return "http_5xx";
  if (status >= 400) return "http_4xx";
  if (status >= 300) return "http_3xx";
  return "http_1xx";
}

const byCode: Record<string, AttemptReason> = {
  ESSRF: "blocked_destination",
  ENOTFOUND: "dns_error",
  EAI_AGAIN: "dns_error",
  EAI_FAIL: "dns_error",
  EAI_NODATA: "dns_error",
  ENODATA: "dns_error",
  ESERVFAIL: "dns_error",
  ECONNREFUSED: "connection_refused",
  ECONNRESET: "connection_reset",
  EPIPE: "connection_reset",
  ECONNABORTED: "connection_reset",
  EHOSTUNREACH: "unreachable",
  ENETUNREACH: "unreachable",
  ENETDOWN: "unreachable",
  EHOSTDOWN: "unreachable",
  ETIMEDOUT: "timeout",
  ESOCKETTIMEDOUT: "timeout",
  EPROTO: "tls_error",
};

/** The class of a failed request's error (node:http/net/tls/dns error codes). */
export function classifyRequestError(err: NodeJS.ErrnoException): AttemptReason {
  const code = err.code ?? "";
  const known = byCode[code];
  if (known) return known;
  if (/^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|HOSTNAME_MISMATCH)/.test(code))
    return "tls_error";
  if (code.startsWith("HPE_") || code === "ERR_INVALID_HTTP_RESPONSE") return "invalid_response";
  if (err.message === "socket hang up") return "connection_reset";
  return "connection_error";
}

/**
 * The duration shown to partners: none for attempts that never opened a connection (refused
 * destinations and failed lookups must look alike whatever the resolver took), otherwise rounded
 * to 100 ms, enough to see a slow endpoint, too coarse to time internal round trips.
 */
export function shownDurationMs(ms: number, reason: AttemptReason | null): number {
  if (
    reason === "blocked_destination" ||
    reason === "dns_error" ||
    reason === "endpoint_disabled" ||
    reason === "event_not_found"
  )
    return 0;
  return Math.round(ms / 100) * 100;
}
