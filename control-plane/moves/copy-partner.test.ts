// A move's import batches stay under the byte budget (the internal API's body limit is twice
// it), keep every row once and in order, and a lone row over the budget still goes, alone.
import { describe, expect, it } from "vitest";
import { importBatches } from "./copy-partner.ts";

describe("importBatches", () => {
  it("splits rows under the byte budget, keeping every row once, in order", () => {
    const rows = Array.from({ length: 50 }, (_, i) => ({ id: i, payload: "x".repeat(100 + i * 7) }));
    const batches = importBatches(rows, 1000);
    expect(batches.length).toBeGreaterThan(1);
    expect(batches.flat()).toEqual(rows);
    for (const b of batches) {
      if (b.length > 1) expect(Buffer.byteLength(JSON.stringify({ rows: b }))).toBeLessThanOrEqual(1000 + 20);
    }
  });

  it("sends a row larger than the budget alone, and no empty batch", () => {
    const rows = [{ id: 1 }, { id: 2, payload: "y".repeat(5000) }, { id: 3 }];
    expect(importBatches(rows, 1000).map((b) => b.map((r) => r.id))).toEqual([[1], [2], [3]]);
    expect(importBatches([], 1000)).toEqual([]);
  });
});
