// The control plane's own servers: a global Postgres (registries, routing versions, audit log)
// and a NATS (routing deltas to the routers), separate from every cell's.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { PlatformConfig } from "../shared/config/cells-config.ts";
import { ensureBinaries } from "./binaries.ts";
import type { ManagedProcess } from "./managed-process.ts";
import { type GlobalNatsRole, globalNatsPermissions, type NatsUser } from "./nats-credentials.ts";
import { type StartNatsOptions, startNats } from "./nats-server.ts";
import type { BackupStanza } from "./pgbackrest.ts";
import { archiveSettings, backupStanza, ensureStanza, writeStanzaConfig } from "./pgbackrest.ts";
import { startPostgres } from "./postgres-server.ts";

export interface GlobalInfra {
  postgresUrl: string;
  natsUrl: string;
  /** The NATS credential of each role (control-plane, router; operator for the launcher). */
  natsUsers: Record<GlobalNatsRole, NatsUser>;
  processes: ManagedProcess[];
  /** The control plane's Postgres archives into the `control-plane` stanza when backups are on. */
  backupStanza?: BackupStanza;
  stop(): Promise<void>;
}

export async function startGlobalInfra(
  config: PlatformConfig["control_plane"],
  dataDir: string,
  /** TLS for the control plane's NATS (clients then take NATS_TLS_CA_FILE / CONTROL_PLANE_NATS_TLS_CA_FILE). */
  natsTls?: StartNatsOptions<string>["tls"],
  backups?: { root: string; retentionDays?: number },
): Promise<GlobalInfra> {
  const bins = await ensureBinaries();
  await mkdir(join(dataDir, "logs"), { recursive: true });
  const pgPort = config.postgres.port;
  const natsPort = config.nats.port;
  if (pgPort === undefined || natsPort === undefined) {
    throw new Error(
      "cells.yaml: platform.control_plane gives URLs; start with CELLPAY_INFRA=external to use them",
    );
  }
  const stanza = backups !== undefined ? backupStanza(backups.root, "control-plane") : undefined;
  if (stanza !== undefined) {
    await writeStanzaConfig(
      stanza,
      [{ dataDir: join(dataDir, "postgres"), port: pgPort }],
      backups?.retentionDays,
    );
  }
  const [pg, nats] = await Promise.all([
    startPostgres({
      ...(stanza !== undefined ? { settings: archiveSettings(stanza) } : {}),
      bin: bins.pgBin,
      dataDir: join(dataDir, "postgres"),
      port: pgPort,
      logFile: join(dataDir, "logs", "postgres.log"),
      name: "control-plane-postgres",
    }),
    startNats({
      bin: bins.natsServer,
      dataDir: join(dataDir, "nats"),
      port: natsPort,
      logFile: join(dataDir, "logs", "nats.log"),
      name: "control-plane-nats",
      permissions: globalNatsPermissions(),
      credentialsDir: join(dataDir, "nats-credentials"),
      ...(natsTls ? { tls: natsTls } : {}),
    }),
  ]);
  if (stanza !== undefined) {
    try {
      await ensureStanza(stanza);
    } catch (err) {
      await Promise.all([pg.stop(), nats.stop()]);
      throw err;
    }
  }
  return {
    ...(stanza !== undefined ? { backupStanza: stanza } : {}),
    postgresUrl: pg.url,
    natsUrl: nats.url,
    natsUsers: nats.users,
    processes: [pg.process, nats.process],
    async stop() {
      await Promise.all([pg.stop(), nats.stop()]);
    },
  };
}
