import { describe, expect, it } from "vitest";
import { containsCardNumber, luhnValid } from "./pan-detector.ts";

const digits = (s: string) => [...s].map(Number);

describe("containsCardNumber", () => {
  it("finds Luhn-valid PANs of 13 to 19 digits, alone or inside text", () => {
    for (const pan of [
      "4222222222222", // 13
      "378282246310005", // 15, Amex
      "4242424242424242", // 16
      "6011000000000000001", // 19
    ]) {
      expect(luhnValid(digits(pan))).toBe(true);
      expect(containsCardNumber(pan)).toBe(true);
      expect(containsCardNumber(`card was ${pan}, thanks`)).toBe(true);
    }
  });

  it("finds PANs split by spaces, dashes, tabs, no-break spaces and Unicode dashes", () => {
    for (const text of [
      "4242 4242 4242 4242",
      "4242-4242-4242-4242",
      "4242 - 4242 - 4242 - 4242",
      "3782 822463 10005",
      "4242\t4242\u00a04242\u20134242",
      "4 2 4 2 4 2 4 2 4 2 4 2 4 2 4 2",
    ]) {
      expect(containsCardNumber(text), text).toBe(true);
    }
  });

  it("finds full-width digits (NFKC)", () => {
    expect(containsCardNumber("４２４２４２４２４２４２４２４２")).toBe(true);
  });

  it("allows digit runs that fail Luhn, and runs of 12 digits or fewer", () => {
    expect(containsCardNumber("4242424242424241")).toBe(false);
    expect(containsCardNumber("4242 4242 4242 4241")).toBe(false);
    expect(containsCardNumber("1234567890123")).toBe(false);
    // 12 digits, Luhn-valid as a 12-digit number: too short to be a PAN
    expect(luhnValid(digits("424242424242"))).toBe(true);
    expect(containsCardNumber("424242424242")).toBe(false);
    expect(containsCardNumber("order 123456789012 shipped")).toBe(false);
  });

  it("does not join digits across other characters or more than 3 separators", () => {
    expect(containsCardNumber("4242.4242.4242.4242")).toBe(false);
    expect(containsCardNumber("4242,4242,4242,4242")).toBe(false);
    expect(containsCardNumber("4242    4242    4242    4242")).toBe(false);
    expect(containsCardNumber("order 4242 4242, ref 4242 4242")).toBe(false);
  });

  it("ignores runs starting with 0 (no PAN has major industry identifier 0)", () => {
    expect(containsCardNumber("0000000000000000")).toBe(false);
  });

  it("spares epoch timestamps (start with 1) unless 15 digits long, as UATP numbers are", () => {
    // Luhn-valid, so refused before: milliseconds and microseconds since 1970, in 2026.
    expect(containsCardNumber("1796000000002")).toBe(false);
    expect(containsCardNumber(`order-${"1796000000000006"}`)).toBe(false);
    // ...also with a counter after them: a long group ends the run at its separator.
    expect(containsCardNumber("1796000000002-18")).toBe(false);
    expect(containsCardNumber("4242424242424241 42")).toBe(false);
    // UATP's test number (15 digits, major industry identifier 1) is still a card number.
    expect(containsCardNumber("122000000000003")).toBe(true);
  });

  it("a run longer than 19 digits counts when any 13-19 digit stretch in it is Luhn-valid", () => {
    // 20 digits: '34567890123456' inside is Luhn-valid
    expect(containsCardNumber("12345678901234567890")).toBe(true);
    // a PAN glued into a 25-digit number
    expect(containsCardNumber("4242424242424242000000000")).toBe(true);
    expect(containsCardNumber("000000000" + "4242424242424242")).toBe(true);
    // long runs with no Luhn-valid stretch pass
    expect(containsCardNumber("11111111111111111111")).toBe(false);
    expect(containsCardNumber("9999999999999999999999999")).toBe(false);
  });

  it("plain text, empty text and long texts without digits pass", () => {
    expect(containsCardNumber("")).toBe(false);
    expect(containsCardNumber("Order #6735 for Ms. Smith")).toBe(false);
    expect(containsCardNumber("x".repeat(100_000))).toBe(false);
  });
});
