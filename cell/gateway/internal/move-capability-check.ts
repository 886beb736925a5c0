// Export and import of a partner's rows need the control plane's move capability
// (shared/cell-api/move-capability.ts) for this partner, with this cell as the move's source
// (export) or target (import). Verified offline with the control plane's public key: the
// cell-admin credential alone moves no rows, so whoever steals it cannot read a partner's sealed
// keys and card ciphertexts out, nor write a forged api_keys row in, nor purge a partner's rows
// (a purge names this cell as the move's source, after its retention, or target, at a rollback).
import type { Context } from "hono";
import { MOVE_CAPABILITY_HEADER } from "../../../shared/cell-api/contract.ts";
import { type MoveCapabilityClaims, verifyMoveCapability } from "../../../shared/cell-api/move-capability.ts";
import { ApiError } from "../../../shared/errors.ts";
import type { AppEnv } from "../app-env.ts";

const reasons = {
  missing: "needs a move capability",
  malformed: "has a malformed move capability",
  bad_signature: "has a move capability the control plane did not sign",
  expired: "has an expired move capability",
  too_long_lived: "has a move capability that lives too long",
} as const;

export function requireMoveCapability(
  c: Context<AppEnv>,
  partnerId: string,
  role: "source" | "target" | "source or target",
): MoveCapabilityClaims {
  const { config, clock } = c.get("deps");
  if (!config.moveVerifyKey) {
    throw new ApiError("move_capability_required", "This cell has no key to verify move capabilities.");
  }
  const check = verifyMoveCapability(
    config.moveVerifyKey,
    c.req.header(MOVE_CAPABILITY_HEADER),
    Math.floor(clock().getTime() / 1000),
  );
  if (!check.ok) throw new ApiError("move_capability_required", `The request ${reasons[check.reason]}.`);
  const cells =
    role === "source"
      ? [check.claims.source_cell_id]
      : role === "target"
        ? [check.claims.target_cell_id]
        : [check.claims.source_cell_id, check.claims.target_cell_id];
  if (check.claims.partner_id !== partnerId || !cells.includes(config.cellId)) {
    throw new ApiError(
      "move_capability_required",
      `The move capability is not for partner '${partnerId.slice(0, 40)}' with this cell as its ${role}.`,
    );
  }
  return check.claims;
}
