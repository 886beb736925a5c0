// Header names of the platform's own protocol between routers, gateways and the control plane,
// defined once (the router and the cell must not drift apart on a name).

/** Set by a gateway on its 503 for a partner being moved: the router holds and resends it. */
export const MOVING_HEADER = "cellpay-moving";
/** Milliseconds a rate-limited partner should wait (the router's hold uses it). */
export const RETRY_AFTER_MS_HEADER = "cellpay-retry-after-ms";
/** When the router sent the request (ms since the epoch): the gateway sheds stale ones. */
export const FORWARDED_AT_HEADER = "cellpay-forwarded-at";
/** The move capability sent with every export and import call (shared/cell-api/move-capability.ts). */
export const MOVE_CAPABILITY_HEADER = "cellpay-move-capability";
/** The request id, echoed on every response and in every error. */
export const REQUEST_ID_HEADER = "request-id";
