// The full routing table from the control plane (GET /internal/v1/routing-table), used at start,
// after a version gap and as a periodic safety net. Throws when the control plane cannot answer.
import { type RoutingTable, routingTableSchema } from "../shared/routing/routing-table.ts";

export async function fetchRoutingTable(opts: {
  controlPlaneUrl: string;
  token: string;
  timeoutMs: number;
}): Promise<RoutingTable> {
  const res = await fetch(new URL("/internal/v1/routing-table", opts.controlPlaneUrl), {
    headers: { authorization: `Bearer ${opts.token}`, accept: "application/json" },
    signal: AbortSignal.timeout(opts.timeoutMs),
  });
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new Error(`control plane answered ${res.status} for the routing table`);
  }
  return routingTableSchema.parse(await res.json());
}
