import { describe, expect, it } from "vitest";
import { currencyCodes, currencyExponent, MAX_AMOUNT, normalizeCurrency } from "./currencies.ts";

describe("currencies", () => {
  it("holds the full active ISO 4217 list", () => {
    expect(currencyCodes.length).toBeGreaterThanOrEqual(150);
    for (const code of currencyCodes) expect(code).toMatch(/^[A-Z]{3}$/);
  });
  it("accepts any case and returns the upper-case code", () => {
    expect(normalizeCurrency("eur")).toBe("EUR");
    expect(normalizeCurrency("Jpy")).toBe("JPY");
    expect(normalizeCurrency("USD")).toBe("USD");
  });
  it.each(["", "XXX", "XAU", "EURO", "HRK", "abc", "toString", "__proto__"])("rejects '%s'", (input) => {
    expect(normalizeCurrency(input)).toBeUndefined();
  });
  it.each([
    ["USD", 2],
    ["EUR", 2],
    ["JPY", 0],
    ["KRW", 0],
    ["ISK", 0],
    ["VND", 0],
    ["XAF", 0],
    ["XOF", 0],
    ["UGX", 0],
    ["KWD", 3],
    ["BHD", 3],
    ["JOD", 3],
    ["OMR", 3],
    ["TND", 3],
    ["LYD", 3],
    ["IQD", 3],
    ["CLF", 4],
  ])("%s has exponent %i", (code, exponent) => {
    expect(currencyExponent(code)).toBe(exponent);
    expect(currencyExponent(code.toLowerCase())).toBe(exponent);
  });
  it("an unknown code has no exponent", () => {
    expect(() => currencyExponent("ZZZ")).toThrow(/unknown currency/);
  });
  it("MAX_AMOUNT is a safe integer", () => {
    expect(Number.isSafeInteger(MAX_AMOUNT * 1000)).toBe(true);
  });
});
