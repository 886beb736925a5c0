// Checks a card before it is vaulted or sent to an acquirer. Error messages never echo the
// number or the CVC: they end up in logs and responses, which must stay outside PCI scope.
import { ApiError } from "../../shared/errors.ts";

export type CardBrand =
  | "visa"
  | "mastercard"
  | "amex"
  | "discover"
  | "jcb"
  | "diners"
  | "unionpay"
  | "unknown";

export interface CardInput {
  number: string;
  exp_month: number;
  exp_year: number;
  /** Optional so a stored card can be re-validated without one; checked whenever present. */
  cvc?: string | undefined;
}

export interface ValidatedCard {
  pan: string;
  brand: CardBrand;
  bin: string;
  last4: string;
}

/** Drops the spaces and dashes people type; anything else is left for validation to reject. */
export function normalizePan(input: string): string {
  return input.replace(/[\s-]/g, "");
}

export function luhnValid(pan: string): boolean {
  if (!/^\d+$/.test(pan)) return false;
  let sum = 0;
  let double = false;
  for (let i = pan.length - 1; i >= 0; i--) {
    let digit = pan.charCodeAt(i) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return sum % 10 === 0;
}

function prefixIn(pan: string, length: number, from: number, to: number): boolean {
  const prefix = Number(pan.slice(0, length));
  return pan.length >= length && prefix >= from && prefix <= to;
}

/**
 * Brand from the IIN ranges. Order matters: Discover's 6011/644–649/65 are checked before
 * UnionPay's broader 62 (China UnionPay cards inside Discover's 622126–622925 stay UnionPay).
 */
export function detectBrand(pan: string): CardBrand {
  if (/^3[47]/.test(pan)) return "amex";
  if (pan.startsWith("4")) return "visa";
  if (prefixIn(pan, 2, 51, 55) || prefixIn(pan, 4, 2221, 2720)) return "mastercard";
  if (prefixIn(pan, 4, 3528, 3589)) return "jcb";
  if (/^3(0[0-5]|095|6|[89])/.test(pan)) return "diners";
  if (/^(6011|64[4-9]|65)/.test(pan)) return "discover";
  if (pan.startsWith("62") || pan.startsWith("81")) return "unionpay";
  return "unknown";
}

/** Throws the ApiError a partner should see for the first problem found; returns what may be stored. */
/** `param` is where the card sits in the request body, for the error's `param`. */
export function validateCard(card: CardInput, now: Date, param = "payment_method.card"): ValidatedCard {
  const pan = normalizePan(card.number);
  if (!/^\d{12,19}$/.test(pan) || !luhnValid(pan)) {
    throw new ApiError("invalid_card_number", "The card number is not a valid card number.", {
      param: `${param}.number`,
    });
  }
  const brand = detectBrand(pan);
  checkExpiry(card.exp_month, card.exp_year, now, param);
  if (card.cvc !== undefined) {
    const digits = brand === "amex" ? 4 : 3;
    if (!new RegExp(`^\\d{${digits}}$`).test(card.cvc)) {
      throw new ApiError("invalid_cvc", `The card's security code must be ${digits} digits.`, {
        param: `${param}.cvc`,
      });
    }
  }
  return { pan, brand, bin: pan.slice(0, 6), last4: pan.slice(-4) };
}

// Cards are issued for at most a couple of decades; a year further out is a typo.
const maxYearsAhead = 50;

function checkExpiry(month: number, year: number, now: Date, param: string): void {
  if (!Number.isInteger(month) || month < 1 || month > 12) {
    throw new ApiError("invalid_expiry", "The card's expiration month must be between 1 and 12.", {
      param: `${param}.exp_month`,
    });
  }
  const thisYear = now.getUTCFullYear();
  if (!Number.isInteger(year) || year < 1000 || year > thisYear + maxYearsAhead) {
    throw new ApiError("invalid_expiry", "The card's expiration year must be a 4-digit year.", {
      param: `${param}.exp_year`,
    });
  }
  // A card is good through the last day of its expiry month (taken in UTC).
  const thisMonth = now.getUTCMonth() + 1;
  if (year < thisYear || (year === thisYear && month < thisMonth)) {
    const culprit = year < thisYear ? "exp_year" : "exp_month";
    throw new ApiError("card_expired", "The card has expired.", { param: `${param}.${culprit}` });
  }
}
