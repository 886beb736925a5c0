// The freeze, on the source cell: every gateway instance refuses the partner (503 partner_moving,
// which the routers hold and resend), then we wait until none of its requests is still running
// and the cell's workers have published and applied its events, so the final copy is complete.
import { type CellClient, createCellClient } from "../../shared/cell-api/cell-client.ts";

export interface SourceCell {
  id: string;
  /** One internal listener per gateway instance: freezing on each freezes every instance. */
  internalGateways: string[];
}

const perGateway = (cell: SourceCell, token: string): CellClient[] =>
  cell.internalGateways.map((g) => createCellClient({ internalUrls: [g], token, timeoutMs: 5000 }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function freezeOnEveryGateway(
  cell: SourceCell,
  token: string,
  partnerId: string,
): Promise<void> {
  await Promise.all(perGateway(cell, token).map((g) => g.freeze(partnerId)));
}

export async function unfreezeOnEveryGateway(
  cell: SourceCell,
  token: string,
  partnerId: string,
  status: "active" | "suspended",
): Promise<void> {
  // Best effort per gateway: a dead gateway restarts reading the status from its database.
  await Promise.allSettled(perGateway(cell, token).map((g) => g.unfreeze(partnerId, status)));
}

/** Waits until no gateway runs a request of the partner; throws after timeoutMs. */
export async function waitNoRequestsInFlight(
  cell: SourceCell,
  token: string,
  partnerId: string,
  timeoutMs: number,
) {
  const deadline = Date.now() + timeoutMs;
  const gateways = perGateway(cell, token);
  for (;;) {
    const counts = await Promise.all(gateways.map((g) => g.inFlight(partnerId)));
    if (counts.every((n) => n === 0)) return;
    if (Date.now() > deadline) throw new Error(`requests still in flight after ${timeoutMs} ms`);
    await sleep(10);
  }
}

/** Waits (bounded) for the source's relay and ledger to catch up with the partner's events. */
export async function waitWorkersCaughtUp(
  source: CellClient,
  partnerId: string,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const b = await source.backlog(partnerId);
    if (b.unpublished === 0 && b.unprocessed === 0) return true;
    if (Date.now() > deadline) return false;
    await sleep(25);
  }
}
