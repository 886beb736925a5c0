// Everything the control plane needs, built once at boot (create-control-plane.ts) and passed in.
import type { NatsConnection } from "nats";
import type { Logger } from "../shared/logger.ts";
import type { CellClients } from "./cells/cell-clients.ts";
import type { ControlPlaneDb } from "./db/client.ts";
import type { Monitor } from "./monitoring/monitor.ts";

export interface ControlPlaneDeps {
  db: ControlPlaneDb;
  nats: NatsConnection;
  logger: Logger;
  cellClients: CellClients;
  internalToken: string;
  clock: () => Date;
  /** Placement ties are broken with this (tests can make it deterministic). */
  random: () => number;
  /** The live view the dashboard and alerts read (monitoring/monitor.ts). */
  monitor?: Monitor;
}
