// The card a payment charges: a raw card (validated, never stored) or a vaulted token of this
// partner in this mode (a test token is unknown to a live key, and vice versa).
import { ApiError } from "../../shared/errors.ts";
import type { ModeScope } from "../partners/mode-scope.ts";
import { validateCard } from "../vault/card-validation.ts";
import type { ChargeCard } from "./create-payment.ts";
import type { PaymentDeps } from "./payment-deps.ts";
import type { PaymentMethodInput } from "./payment-objects.ts";

export async function resolveChargeCard(
  deps: Pick<PaymentDeps, "vault" | "clock">,
  scope: ModeScope,
  method: PaymentMethodInput,
): Promise<ChargeCard> {
  if (method.type === "card") {
    const card = validateCard(method.card, deps.clock());
    return {
      ...card,
      expMonth: method.card.exp_month,
      expYear: method.card.exp_year,
      holderName: method.card.holder_name,
      cvc: method.card.cvc,
      fingerprint: deps.vault.fingerprint(card.pan),
      tokenId: null,
    };
  }
  const stored = await deps.vault.detokenize(scope, method.token);
  if (!stored) {
    throw new ApiError("token_not_found", `No such card token: '${method.token.slice(0, 64)}'`, {
      param: "payment_method.token",
    });
  }
  // The partner sent a token, so a card problem (it expired since) is reported on the token.
  validateCard(
    { number: stored.pan, exp_month: stored.expMonth, exp_year: stored.expYear },
    deps.clock(),
    "payment_method.token",
  );
  return { ...stored, tokenId: method.token };
}
