import { describe, expect, it } from "vitest";
import { ApiError } from "../../shared/errors.ts";
import { detectBrand, luhnValid, normalizePan, validateCard } from "./card-validation.ts";

const now = new Date("2026-11-27T12:00:00Z");
const visa = { number: "4242 4242 4242 4242", exp_month: 12, exp_year: 2030, cvc: "123" };

function apiErrorOf(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error("expected an ApiError");
}

describe("normalizePan and luhnValid", () => {
  it("strips spaces and dashes", () => {
    expect(normalizePan(" 4242-4242 4242\t4242 ")).toBe("4242424242424242");
  });
  it.each(["4242424242424242", "378282246310005", "5555555555554444", "4000000000000002"])(
    "%s passes",
    (pan) => {
      expect(luhnValid(pan)).toBe(true);
    },
  );
  it.each(["4242424242424241", "1234567812345678", "42424242a4242424", ""])("'%s' fails", (pan) => {
    expect(luhnValid(pan)).toBe(false);
  });
});

describe("detectBrand", () => {
  it.each([
    ["4242424242424242", "visa"],
    ["5105105105105100", "mastercard"],
    ["5555555555554444", "mastercard"],
    ["2221000000000009", "mastercard"],
    ["2720990000000000", "mastercard"],
    ["2721000000000000", "unknown"],
    ["2220990000000000", "unknown"],
    ["5600000000000000", "unknown"],
    ["378282246310005", "amex"],
    ["340000000000009", "amex"],
    ["6011111111111117", "discover"],
    ["6445000000000000", "discover"],
    ["6500000000000000", "discover"],
    ["3530111333300000", "jcb"],
    ["3589000000000000", "jcb"],
    ["30569309025904", "diners"],
    ["36227206271667", "diners"],
    ["3095000000000000", "diners"],
    ["6200000000000005", "unionpay"],
    ["9999999999999995", "unknown"],
  ])("%s is %s", (pan, brand) => {
    expect(detectBrand(pan)).toBe(brand);
  });
});

describe("validateCard", () => {
  it("returns the normalized pan, brand, bin and last4", () => {
    expect(validateCard(visa, now)).toEqual({
      pan: "4242424242424242",
      brand: "visa",
      bin: "424242",
      last4: "4242",
    });
  });
  it("accepts a card in its expiry month (good through the month's end)", () => {
    expect(validateCard({ ...visa, exp_month: 11, exp_year: 2026 }, now).brand).toBe("visa");
  });
  it("accepts a missing cvc", () => {
    expect(validateCard({ number: visa.number, exp_month: 1, exp_year: 2030 }, now).last4).toBe("4242");
  });
  it("accepts a 4-digit amex cvc", () => {
    expect(validateCard({ ...visa, number: "378282246310005", cvc: "1234" }, now).brand).toBe("amex");
  });

  it.each([
    ["a failing Luhn check", "4242424242424241"],
    ["letters", "4242abcd42424242"],
    ["11 digits", "42424242428"],
    ["20 digits", "42424242424242424242"],
    ["nothing", ""],
  ])("rejects %s as invalid_card_number", (_why, number) => {
    const err = apiErrorOf(() => validateCard({ ...visa, number }, now));
    expect(err).toMatchObject({
      code: "invalid_card_number",
      param: "payment_method.card.number",
      status: 400,
    });
  });

  it.each([0, 13, 1.5])("rejects exp_month %s", (exp_month) => {
    const err = apiErrorOf(() => validateCard({ ...visa, exp_month }, now));
    expect(err).toMatchObject({ code: "invalid_expiry", param: "payment_method.card.exp_month" });
  });
  it.each([30, 999, 2100, 20301])("rejects exp_year %s", (exp_year) => {
    const err = apiErrorOf(() => validateCard({ ...visa, exp_year }, now));
    expect(err).toMatchObject({ code: "invalid_expiry", param: "payment_method.card.exp_year" });
  });
  it("rejects last month as card_expired", () => {
    const err = apiErrorOf(() => validateCard({ ...visa, exp_month: 10, exp_year: 2026 }, now));
    expect(err).toMatchObject({ code: "card_expired", param: "payment_method.card.exp_month" });
  });
  it("rejects last year as card_expired", () => {
    const err = apiErrorOf(() => validateCard({ ...visa, exp_month: 12, exp_year: 2025 }, now));
    expect(err).toMatchObject({ code: "card_expired", param: "payment_method.card.exp_year" });
  });

  it.each([
    ["visa", visa.number, "12"],
    ["visa", visa.number, "1234"],
    ["visa", visa.number, "12a"],
    ["amex", "378282246310005", "123"],
  ])("rejects a bad %s cvc", (_brand, number, cvc) => {
    const err = apiErrorOf(() => validateCard({ ...visa, number, cvc }, now));
    expect(err).toMatchObject({ code: "invalid_cvc", param: "payment_method.card.cvc" });
  });

  it("never puts the card number or cvc in an error message", () => {
    const secretCvc = "987";
    const cases = [
      { ...visa, number: "4242424242424241", cvc: secretCvc },
      { ...visa, exp_month: 13, cvc: secretCvc },
      { ...visa, exp_year: 2020, cvc: secretCvc },
      { ...visa, cvc: "98" },
    ];
    for (const card of cases) {
      const message = apiErrorOf(() => validateCard(card, now)).message;
      expect(message).not.toContain("4242");
      expect(message).not.toContain(card.cvc);
    }
  });
});
