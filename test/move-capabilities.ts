// Move capabilities for tests, signed with the test control plane's key (TEST_MOVE_KEYS), the
// one test cells verify with. `ttlS` may be negative (an expired capability).
import { loadSigningKey, signMoveCapability } from "../shared/cell-api/move-capability.ts";
import { TEST_MOVE_KEYS } from "./harness.ts";

export function testMoveCapability(
  partnerId: string,
  opts: { source?: string; target?: string; ttlS?: number; signingKey?: string } = {},
): string {
  return signMoveCapability(loadSigningKey(opts.signingKey ?? TEST_MOVE_KEYS.signingKey), {
    move_id: "mov_test",
    partner_id: partnerId,
    source_cell_id: opts.source ?? "cell-test",
    target_cell_id: opts.target ?? "cell-test",
    exp: Math.floor(Date.now() / 1000) + (opts.ttlS ?? 60),
  });
}
