// Issues move capabilities (shared/cell-api/move-capability.ts): the control plane's signed
// permission, for one move, to export its partner's rows from the source cell and import them
// into the target. Only a move the engine is running asks for one; each lives MOVE_CAPABILITY_TTL_S
// (a fresh one per page), so a captured capability is soon worthless and never names another
// partner or cell.
import type { KeyObject } from "node:crypto";
import { MOVE_CAPABILITY_TTL_S, signMoveCapability } from "../../shared/cell-api/move-capability.ts";

export interface MoveForCapability {
  id: string;
  partnerId: string;
  sourceCellId: string;
  targetCellId: string;
}

export interface MoveCapabilities {
  issue(move: MoveForCapability): string;
}

export function createMoveCapabilities(key: KeyObject, now: () => Date): MoveCapabilities {
  return {
    issue: (move) =>
      signMoveCapability(key, {
        move_id: move.id,
        partner_id: move.partnerId,
        source_cell_id: move.sourceCellId,
        target_cell_id: move.targetCellId,
        exp: Math.floor(now().getTime() / 1000) + MOVE_CAPABILITY_TTL_S,
      }),
  };
}
