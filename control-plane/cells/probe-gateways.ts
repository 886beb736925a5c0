// Asks each of a cell's gateways whether it is ready: GET /readyz answers 200, and the cell id
// it names (when it names one) is this cell's, so a mistyped URL cannot pass for another cell.
import type { CellHealth } from "../db/schema.ts";

export async function probeGateways(
  cellId: string,
  gateways: string[],
  now: Date,
  timeoutMs = 2000,
): Promise<CellHealth> {
  const results = await Promise.all(
    gateways.map(async (base) => {
      try {
        const res = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(timeoutMs) });
        const body = (await res.json().catch(() => ({}))) as { cell_id?: unknown };
        return res.ok && (body.cell_id === undefined || body.cell_id === cellId);
      } catch {
        return false;
      }
    }),
  );
  const ready = gateways.filter((_, i) => results[i]);
  const status = ready.length === gateways.length ? "ok" : ready.length > 0 ? "degraded" : "down";
  return { status, checked_at: now.toISOString(), ready_gateways: ready };
}

/**
 * The internal listeners whose internal API does not answer (GET /internal/v1/health with the
 * cell-admin credential) naming this cell: registration refuses a cell the control plane could not
 * manage, one whose internal URLs point at another cell, or a public URL given as internal (the
 * public port has no internal API, while its /healthz would name the cell too).
 */
export async function unreadyInternalListeners(
  cellId: string,
  internalGateways: string[],
  token: string,
  timeoutMs = 2000,
): Promise<string[]> {
  const ok = await Promise.all(
    internalGateways.map(async (base) => {
      try {
        const res = await fetch(`${base}/internal/v1/health`, {
          headers: { authorization: `Bearer ${token}` },
          signal: AbortSignal.timeout(timeoutMs),
        });
        const body = (await res.json().catch(() => ({}))) as { cell_id?: unknown };
        return res.ok && body.cell_id === cellId;
      } catch {
        return false;
      }
    }),
  );
  return internalGateways.filter((_, i) => !ok[i]);
}
