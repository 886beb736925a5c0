// The full routing table from the control plane (GET /internal/v1/routing-table), used at start,
// after a version gap and as a periodic safety net. Throws when the control plane cannot answer,
// and RoutingRejected when what it answered is not a signed table inside the allow-list.
import type { RoutingTable } from "../shared/routing/routing-table.ts";
import { RoutingRejected, type RoutingVerifier, type Verified } from "./routing-verifier.ts";

export async function fetchRoutingTable(opts: {
  controlPlaneUrl: string;
  token: string;
  timeoutMs: number;
  verifier: RoutingVerifier;
}): Promise<Verified<RoutingTable>> {
  const res = await fetch(new URL("/internal/v1/routing-table", opts.controlPlaneUrl), {
    headers: { authorization: `Bearer ${opts.token}`, accept: "application/json" },
    signal: AbortSignal.timeout(opts.timeoutMs),
  });
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new Error(`control plane answered ${res.status} for the routing table`);
  }
  let raw: unknown;
  try {
    raw = await res.json();
  } catch {
    throw new RoutingRejected("not_json", "the control plane's routing table is not JSON");
  }
  return opts.verifier.table(raw);
}
