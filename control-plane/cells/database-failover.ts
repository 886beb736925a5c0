// A change of a cell's primary, told apart from two successive layouts: the read-write connection
// landed on another server, or the same server is on a later timeline (promoted in place after a
// crash, or a switchover back). Either way, the cell's data was served by a new primary.
import type { DatabaseLayout } from "../../shared/cell-api/contract.ts";
import type { DatabaseFailover } from "../db/schema.ts";

export function detectFailover(
  before: DatabaseLayout | undefined,
  after: DatabaseLayout,
  now: Date,
): DatabaseFailover | undefined {
  if (!before || after.primary.in_recovery) return undefined;
  const b = before.primary;
  const a = after.primary;
  const newTimeline = a.timeline !== null && b.timeline !== null && a.timeline > b.timeline;
  if (a.address === b.address && !newTimeline) return undefined;
  return {
    at: now.toISOString(),
    from: { address: b.address, timeline: b.timeline },
    to: { address: a.address, timeline: a.timeline },
  };
}
