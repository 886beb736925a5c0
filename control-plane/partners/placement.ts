// Placement: which cell a new partner goes to. Only active cells whose health is not down are
// candidates; among them the one whose load after this partner, relative to its capacity weight,
// is lowest ((partners + 1) / weight), ties broken at random. Over many onboardings this spreads
// partners in proportion to the weights.
import type { CellState } from "../../shared/routing/routing-table.ts";

export interface PlacementCandidate {
  id: string;
  state: CellState;
  weight: number;
  healthStatus: string;
  partnerCount: number;
}

export const acceptsPartners = (c: Pick<PlacementCandidate, "state" | "healthStatus">) =>
  c.state === "active" && c.healthStatus !== "down";

/** The chosen cell's id, or undefined when no cell accepts partners. */
export function choosePlacement(
  candidates: PlacementCandidate[],
  random: () => number = Math.random,
): string | undefined {
  let best: PlacementCandidate[] = [];
  let bestLoad = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    if (!acceptsPartners(c) || !(c.weight > 0)) continue;
    const load = (c.partnerCount + 1) / c.weight;
    // Relative epsilon: 2/2 and 1/1 must tie despite floating point.
    const tie = best.length > 0 && Math.abs(load - bestLoad) <= 1e-9 * bestLoad;
    if (tie) best.push(c);
    else if (load < bestLoad) {
      best = [c];
      bestLoad = load;
    }
  }
  if (best.length === 0) return undefined;
  return best[Math.min(best.length - 1, Math.floor(random() * best.length))]!.id;
}
