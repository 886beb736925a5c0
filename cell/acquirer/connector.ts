// The contract between the payments domain and an acquirer (the bank side that moves money).
// Every connector, the built-in simulator included, implements AcquirerConnector.

export type AuthorizationResult =
  | { outcome: "approved"; authorization_code: string; network_reference: string }
  | { outcome: "declined"; failure_code: string; failure_message: string }
  // The acquirer did not answer in time: the platform resolves it later with lookup().
  | { outcome: "pending" };

export interface AuthorizeRequest {
  paymentId: string;
  partnerId: string;
  /** Minor units. */
  amount: number;
  currency: string;
  card: { pan: string; brand: string; expMonth: number; expYear: number; cvc?: string };
  /** Authorize and capture in one call (a "sale"), as automatic-capture payments do. */
  capture?: boolean;
}

export interface AcquirerConnector {
  readonly name: string;
  /**
   * Idempotent by paymentId: a second call for the same payment returns the first result and
   * never charges twice. Never throws for a timeout: past opts.timeoutMs it resolves `pending`.
   */
  authorize(req: AuthorizeRequest, opts: { timeoutMs: number }): Promise<AuthorizationResult>;
  /** Captures `amount` (≤ authorized) of an approved authorization; retrying the same capture is a no-op. */
  capture(paymentId: string, amount: number): Promise<void>;
  /** Releases an approved, uncaptured authorization; retrying is a no-op. */
  void(paymentId: string): Promise<void>;
  /** Idempotent by refundId. */
  refund(paymentId: string, refundId: string, amount: number): Promise<void>;
  /** What the acquirer knows of a payment (for resolving 'pending' after a timeout). */
  lookup(paymentId: string): Promise<AuthorizationResult | undefined>;
}

/**
 * Resolves to `pending` if `answer` has not settled within timeoutMs. Shared by connectors so
 * each enforces the same rule: a slow acquirer becomes a `processing` payment, never an error,
 * because the authorization may have happened and only lookup() can tell.
 */
export function pendingAfter(
  answer: Promise<AuthorizationResult>,
  timeoutMs: number,
): Promise<AuthorizationResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<AuthorizationResult>((resolve) => {
    timer = setTimeout(() => resolve({ outcome: "pending" }), timeoutMs);
  });
  return Promise.race([answer, timeout]).finally(() => clearTimeout(timer));
}
