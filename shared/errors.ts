// The one error shape of every cellpay API: { error: { type, code, message, param?, request_id } }.
// Codes are stable strings partners write code against; the map below is the only place
// that decides a code's HTTP status and type.
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export type ErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "card_error"
  | "idempotency_error"
  | "rate_limit_error"
  | "api_error";

const catalogue = {
  // 400
  invalid_request: [400, "invalid_request_error"],
  invalid_json: [400, "invalid_request_error"],
  unknown_currency: [400, "invalid_request_error"],
  amount_too_large: [400, "invalid_request_error"],
  invalid_card_number: [400, "card_error"],
  invalid_expiry: [400, "card_error"],
  invalid_cvc: [400, "card_error"],
  card_expired: [400, "card_error"],
  token_not_found: [400, "invalid_request_error"],
  invalid_webhook_url: [400, "invalid_request_error"],
  /** A `Cellpay-Version` (or `?version=`) that is not one of the dated API versions. */
  invalid_api_version: [400, "invalid_request_error"],
  // the path itself is malformed (dot segments, encodings, control characters, too long)
  invalid_path: [400, "invalid_request_error"],
  /** A card number in a free-text field (description, reference, metadata, holder_name…). */
  card_number_in_free_text: [400, "invalid_request_error"],
  // 401/403
  missing_api_key: [401, "authentication_error"],
  invalid_api_key: [401, "authentication_error"],
  api_key_revoked: [401, "authentication_error"],
  partner_suspended: [403, "permission_error"],
  /** A live key of a partner with no live connector (going live is an admin act: enable-live). */
  live_mode_not_enabled: [403, "permission_error"],
  tls_required: [403, "permission_error"],
  // 404/405
  resource_not_found: [404, "invalid_request_error"],
  route_not_found: [404, "invalid_request_error"],
  method_not_allowed: [405, "invalid_request_error"],
  // 409: invalid transitions name the current state
  payment_not_capturable: [409, "invalid_request_error"],
  payment_not_cancelable: [409, "invalid_request_error"],
  payment_not_refundable: [409, "invalid_request_error"],
  idempotency_key_in_use: [409, "idempotency_error"],
  concurrent_update: [409, "api_error"],
  // 413/415/422/429
  payload_too_large: [413, "invalid_request_error"],
  unsupported_media_type: [415, "invalid_request_error"],
  idempotency_key_reused: [422, "idempotency_error"],
  amount_exceeds_capturable: [422, "invalid_request_error"],
  amount_exceeds_refundable: [422, "invalid_request_error"],
  rate_limited: [429, "rate_limit_error"],
  too_many_concurrent_requests: [429, "rate_limit_error"],
  // router: this partner's requests keep failing with 5xx; only this partner is slowed down
  partner_throttled: [429, "rate_limit_error"],
  /** Too many declined card payments in a short window: card payments pause (Retry-After). */
  card_testing_suspected: [429, "rate_limit_error"],
  // 5xx: never with detail
  internal_error: [500, "api_error"],
  service_unavailable: [503, "api_error"],
  overloaded: [503, "api_error"],
  acquirer_unavailable: [503, "api_error"],
  // router: the partner's cell cannot answer now; other cells are unaffected
  cell_unavailable: [503, "api_error"],
  partner_moving: [503, "api_error"],
  upstream_timeout: [504, "api_error"],
  // admin API
  admin_token_required: [401, "authentication_error"],
  admin_permission_denied: [403, "permission_error"],
  reason_required: [400, "invalid_request_error"],
  cell_not_accepting: [409, "invalid_request_error"],
  move_in_progress: [409, "invalid_request_error"],
  webhook_delivery_pending: [409, "invalid_request_error"],
  internal_token_required: [401, "authentication_error"],
  /** Export/import of a partner's rows without a valid move capability for this cell and partner. */
  move_capability_required: [403, "permission_error"],
  /** An imported data key whose sealed value differs from the one this cell holds under that id. */
  data_key_conflict: [409, "invalid_request_error"],
  cell_not_ready: [422, "invalid_request_error"],
  cell_request_failed: [502, "api_error"],
  key_rotation_in_progress: [409, "invalid_request_error"],
  partner_live_already: [409, "invalid_request_error"],
} as const satisfies Record<string, readonly [ContentfulStatusCode, ErrorType]>;

export type ErrorCode = keyof typeof catalogue;
export const errorCodes = Object.keys(catalogue) as ErrorCode[];

export function statusOf(code: ErrorCode): ContentfulStatusCode {
  return catalogue[code][0];
}

export interface ErrorBody {
  error: { type: ErrorType; code: ErrorCode; message: string; param?: string; request_id: string };
}

export class ApiError extends HTTPException {
  readonly code: ErrorCode;
  readonly type: ErrorType;
  readonly param: string | undefined;
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { param?: string; cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(catalogue[code][0], { message, cause: opts.cause });
    this.code = code;
    this.type = catalogue[code][1];
    this.param = opts.param;
    this.headers = opts.headers ?? {};
  }

  toBody(requestId: string): ErrorBody {
    const error: ErrorBody["error"] = {
      type: this.type,
      code: this.code,
      message: this.message,
      request_id: requestId,
    };
    if (this.param !== undefined) error.param = this.param;
    return { error };
  }
}

export const invalidRequest = (param: string | undefined, message: string) =>
  new ApiError("invalid_request", message, param === undefined ? {} : { param });
export const notFound = (what: string, id: string, param?: string) =>
  new ApiError("resource_not_found", `No such ${what}: '${id}'`, param === undefined ? {} : { param });
export const conflict = (code: ErrorCode, message: string) => new ApiError(code, message);
export const rateLimited = (retryAfterSeconds: number) =>
  new ApiError("rate_limited", "Too many requests; retry after the time in Retry-After.", {
    headers: { "retry-after": String(retryAfterSeconds) },
  });
