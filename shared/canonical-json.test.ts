import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "./canonical-json.ts";

/** A shuffled deep copy: the same value with its object keys in another order. */
function reordered(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((v, i) => reordered(v, seed + i));
  if (value === null || typeof value !== "object") return value;
  const keys = Object.keys(value);
  const rotated = keys
    .slice(seed % Math.max(1, keys.length))
    .concat(keys.slice(0, seed % Math.max(1, keys.length)));
  return Object.fromEntries(
    rotated.reverse().map((k) => [k, reordered((value as Record<string, unknown>)[k], seed + 1)]),
  );
}

describe("canonicalJson", () => {
  it("sorts keys at every level, drops undefined members, and parses back to the same value", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { f: 1, e: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[3,{"e":2,"f":1}]},"b":1}',
    );
    expect(canonicalJson([undefined, null])).toBe("[null,null]");
  });

  it("gives the same bytes whatever the key order, and different bytes for different values", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(), (value, seed) => {
        const text = canonicalJson(value);
        expect(canonicalJson(reordered(value, seed))).toBe(text);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 500 },
    );
  });
});
