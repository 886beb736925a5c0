// POST /v1/payments, as a domain operation in two atomic phases:
//   1. the payment row (status processing) is written and linked to the Idempotency-Key;
//   2. the acquirer is asked (idempotent by payment id), then ONE statement records the outcome,
//      its outbox event and the key's response.
// A request that dies between the phases is resumed by its retry (same key) or by the recoverer.
import { ApiError } from "../../shared/errors.ts";
import { newId } from "../../shared/ids.ts";
import { liveModeTestCardDecline } from "../acquirer/acquirer-routes.ts";
import type { AuthorizationResult } from "../acquirer/connector.ts";
import type { PaymentRow } from "../db/queries/payment-row.ts";
import { findPayment, type NewPayment } from "../db/queries/payments.ts";
import type { ModeScope } from "../partners/mode-scope.ts";
import type { VaultCard } from "../vault/vault.ts";
import { countDecline } from "./card-testing-guard.ts";
import { type IdempotencyScope, KeyAlreadyClaimed, type PaymentDeps } from "./payment-deps.ts";
import type { PaymentInput, PaymentObject } from "./payment-objects.ts";
import { afterAuthorization } from "./payment-state.ts";
import { paymentEventType, paymentView } from "./payment-view.ts";

/** The card to charge, already validated (raw card) or read from the vault (token). */
export interface ChargeCard extends VaultCard {
  fingerprint: string;
  cvc?: string | undefined;
  tokenId: string | null;
}

export async function createPayment(
  deps: PaymentDeps,
  scope: ModeScope,
  input: PaymentInput,
  card: ChargeCard,
  idem: IdempotencyScope | undefined,
): Promise<{ payment: PaymentObject; keyFinished: boolean }> {
  let row: PaymentRow | undefined;
  if (idem?.resumeResourceId) {
    row = await findPayment(deps.sql, scope, idem.resumeResourceId);
    if (row && row.status !== "processing") return { payment: paymentView(row), keyFinished: false };
  }
  if (!row) {
    const fresh: NewPayment = {
      id: newId("pay"),
      partner_id: scope.partnerId,
      livemode: scope.livemode,
      status: "processing",
      amount: input.amount,
      currency: input.currency,
      capture_method: input.capture_method,
      amount_capturable: 0,
      amount_captured: 0,
      amount_refunded: 0,
      card_brand: card.brand,
      card_bin: card.bin,
      card_last4: card.last4,
      card_exp_month: card.expMonth,
      card_exp_year: card.expYear,
      card_fingerprint: card.fingerprint,
      card_token_id: card.tokenId,
      description: input.description ?? null,
      reference: input.reference ?? null,
      metadata: input.metadata ?? {},
    };
    const inserted = await deps.writes.insertProcessing({ payment: fresh, idem: idem ?? null });
    if (!inserted.claimed || !inserted.createdAt) throw new KeyAlreadyClaimed();
    const createdAt = inserted.createdAt;
    row = {
      ...fresh,
      version: 1,
      created_at: createdAt,
      updated_at: createdAt,
      authorization_code: null,
      failure_code: null,
      failure_message: null,
    };
  }

  // A simulator test card never reaches a live connector (and is not a card-testing decline).
  const testCardDecline = scope.livemode ? liveModeTestCardDecline(card.pan) : undefined;
  if (testCardDecline) return recordAuthorization(deps, row, testCardDecline, idem);
  const outcome = await deps.acquirer.authorize(
    {
      paymentId: row.id,
      partnerId: scope.partnerId,
      amount: row.amount,
      currency: row.currency,
      card: {
        pan: card.pan,
        brand: card.brand,
        expMonth: card.expMonth,
        expYear: card.expYear,
        ...(card.cvc ? { cvc: card.cvc } : {}),
      },
      capture: row.capture_method === "automatic",
    },
    { timeoutMs: deps.acquirerTimeoutMs },
  );
  const recorded = await recordAuthorization(deps, row, outcome, idem);
  if (outcome.outcome === "declined") await countDecline(deps, scope);
  return recorded;
}

/** Phase 2 (also used by the recoverer): one statement for the outcome, its event and the key. */
export async function recordAuthorization(
  deps: PaymentDeps,
  row: PaymentRow,
  outcome: AuthorizationResult,
  idem: Pick<IdempotencyScope, "key" | "responseStatus"> | undefined,
): Promise<{ payment: PaymentObject; keyFinished: boolean }> {
  const scope = { partnerId: row.partner_id, livemode: row.livemode };
  if (outcome.outcome === "pending") {
    deps.log.warn(
      { payment_id: row.id, partner_id: row.partner_id },
      "acquirer timed out; payment left processing",
    );
    return { payment: paymentView(row), keyFinished: false };
  }
  const next = afterAuthorization(row, outcome);
  const updated: PaymentRow = {
    ...row,
    ...next,
    authorization_code: outcome.outcome === "approved" ? outcome.authorization_code : null,
    updated_at: deps.clock(),
  };
  const body = paymentView(updated);
  // No cache entry to retire: a processing payment is never cached (routes/payments/retrieve.ts).
  const version = await deps.writes.change({
    target: { id: row.id, scope, from: ["processing"] },
    change: { ...next, authorization_code: updated.authorization_code },
    event: {
      id: newId("evt"),
      type: paymentEventType(next.status),
      data: body,
      traceparent: deps.traceparent,
    },
    finish: idem ? { key: idem.key, status: idem.responseStatus, body } : null,
  });
  if (version !== undefined) return { payment: body, keyFinished: true };

  // Someone else settled it first (the recoverer decided the acquirer never saw it). If we were
  // approved meanwhile, release the authorization so the card is not held for nothing.
  const current = await findPayment(deps.sql, scope, row.id);
  if (!current) throw new ApiError("internal_error", "payment vanished");
  if (outcome.outcome === "approved" && (current.status === "failed" || current.status === "canceled")) {
    await deps.acquirer
      .void(row.id)
      .catch((err) => deps.log.error({ err, payment_id: row.id }, "void after race failed"));
  }
  return { payment: paymentView(current), keyFinished: false };
}
