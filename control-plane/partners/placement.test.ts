import { describe, expect, it } from "vitest";
import { choosePlacement, type PlacementCandidate } from "./placement.ts";

const cell = (id: string, over: Partial<PlacementCandidate> = {}): PlacementCandidate => ({
  id,
  state: "active",
  weight: 1,
  healthStatus: "ok",
  partnerCount: 0,
  ...over,
});

/** Onboards n partners one by one, as the admin API does, and returns the count per cell. */
function onboard(cells: PlacementCandidate[], n: number, random: () => number = Math.random) {
  for (let i = 0; i < n; i++) {
    const id = choosePlacement(cells, random);
    const chosen = cells.find((c) => c.id === id)!;
    chosen.partnerCount++;
  }
  return Object.fromEntries(cells.map((c) => [c.id, c.partnerCount]));
}

describe("placement", () => {
  it("spreads partners in proportion to the cells' weights", () => {
    const counts = onboard(
      [cell("a", { weight: 1 }), cell("b", { weight: 2 }), cell("c", { weight: 3 })],
      60,
    );
    expect(counts).toEqual({ a: 10, b: 20, c: 30 });
  });

  it("fills the least loaded cell first, relative to its weight", () => {
    const cells = [
      cell("a", { partnerCount: 10 }),
      cell("b", { partnerCount: 2 }),
      cell("c", { partnerCount: 5 }),
    ];
    expect(choosePlacement(cells)).toBe("b");
    expect(onboard(cells, 9)).toEqual({ a: 10, b: 8, c: 8 });
  });

  it("never places on a draining, closed or down cell, nor on one whose health is down", () => {
    const cells = [
      cell("draining", { state: "draining" }),
      cell("closed", { state: "closed" }),
      cell("down", { state: "down" }),
      cell("sick", { healthStatus: "down" }),
      cell("ok", { partnerCount: 1000 }),
    ];
    for (let i = 0; i < 20; i++) expect(choosePlacement(cells)).toBe("ok");
  });

  it("places on a degraded or not yet checked cell", () => {
    expect(choosePlacement([cell("a", { healthStatus: "degraded" })])).toBe("a");
    expect(choosePlacement([cell("a", { healthStatus: "unknown" })])).toBe("a");
  });

  it("returns undefined when no cell accepts partners", () => {
    expect(choosePlacement([])).toBeUndefined();
    expect(choosePlacement([cell("a", { state: "draining" }), cell("b", { weight: 0 })])).toBeUndefined();
  });

  it("breaks ties with the random source", () => {
    const cells = [cell("a"), cell("b"), cell("c")];
    expect(choosePlacement(cells, () => 0)).toBe("a");
    expect(choosePlacement(cells, () => 0.5)).toBe("b");
    expect(choosePlacement(cells, () => 0.999)).toBe("c");
  });
});
