// Everything the control plane needs, built once at boot (create-control-plane.ts) and passed in.
import type { Logger } from "../shared/logger.ts";
import type { CellClients } from "./cells/cell-clients.ts";
import type { ControlPlaneDb } from "./db/client.ts";
import type { Monitor } from "./monitoring/monitor.ts";
import type { RoutingChannel } from "./routing/commit-routing-change.ts";

export interface ControlPlaneDeps {
  db: ControlPlaneDb;
  /** Routing deltas out: the NATS connection and the key that signs them. */
  nats: RoutingChannel;
  logger: Logger;
  cellClients: CellClients;
  internalToken: string;
  clock: () => Date;
  /** Placement ties are broken with this (tests can make it deterministic). */
  random: () => number;
  /** The live view the dashboard and alerts read (monitoring/monitor.ts). */
  monitor?: Monitor;
}
