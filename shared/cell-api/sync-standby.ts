// The rule behind the `sync_standby_missing` alert (control-plane/monitoring/alerts.ts), kept
// next to the layout's contract so the cell's tests and the control plane judge a layout alike.
import type { DatabaseLayout } from "./contract.ts";

/**
 * Why a replicated cell is not safe (RPO 0 needs a streaming synchronous standby), or undefined
 * when it is. A single-copy cell is never flagged: it has no standby by design.
 */
export function missingSyncStandby(layout: DatabaseLayout): string | undefined {
  if (!layout.replicated) return undefined;
  if (layout.primary.in_recovery) return "the gateways' database connection is not on a primary";
  const sync = layout.standbys.filter((s) => s.sync_state === "sync" && s.state === "streaming");
  if (sync.length > 0) return undefined;
  return layout.standbys.length === 0
    ? "no standby is connected: commits are on one disk"
    : "no standby is streaming synchronously: commits are on one disk";
}
