// Everything the control plane needs, built once at boot (create-control-plane.ts) and passed in.
import type { Logger } from "../shared/logger.ts";
import type { CellClients } from "./cells/cell-clients.ts";
import type { ControlPlaneDb } from "./db/client.ts";
import type { Monitor } from "./monitoring/monitor.ts";
import type { MoveCapabilities } from "./moves/move-capabilities.ts";
import type { RoutingChannel } from "./routing/commit-routing-change.ts";

export interface PlatformCredentials {
  /** Sent to the cells' internal API (/internal/v1); held by the control plane alone. */
  cellAdmin: string;
  /** Accepted from routers on GET /internal/v1/routing-table, and nothing else. */
  routerTable: string;
  /** Accepted on this /metrics and sent when scraping cells, workers and routers. */
  metrics: string;
}

export interface ControlPlaneDeps {
  db: ControlPlaneDb;
  /** Routing deltas out: the NATS connection and the key that signs them. */
  nats: RoutingChannel;
  logger: Logger;
  cellClients: CellClients;
  /** One credential per audience (never one token for all): see config.ts. */
  credentials: PlatformCredentials;
  /** Signs the capabilities a move's export/import calls carry. */
  moveCapabilities: MoveCapabilities;
  clock: () => Date;
  /** Placement ties are broken with this (tests can make it deterministic). */
  random: () => number;
  /** The live view the dashboard and alerts read (monitoring/monitor.ts). */
  monitor?: Monitor;
  /** Where each cell's backup stanza keeps its status file (platform/backup-status.ts). */
  backupDir?: string;
}
