// For router tests and the bench: a control plane's NATS (real nats-server on a free port), the
// control-plane stand-in, real cells, and routers started with the same startRouter main.ts uses.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ensureRoutingSigningKey,
  type RoutingSigningKey,
} from "../../control-plane/routing/routing-signing-key.ts";
import { ensureBinaries } from "../../platform/binaries.ts";
import { freePort } from "../../platform/free-port.ts";
import { type GlobalNatsRole, globalNatsPermissions } from "../../platform/nats-credentials.ts";
import { type NatsServer, startNats } from "../../platform/nats-server.ts";
import { createLogger } from "../../shared/logger.ts";
import { startTestCell, type TestCell } from "../../test/harness.ts";
import { parseRouterEnv } from "../config.ts";
import { type RunningRouter, startRouter } from "../create-router.ts";
import { type ControlPlaneStandIn, startControlPlaneStandIn } from "./control-plane-stand-in.ts";

export interface RoutingWorld {
  nats: NatsServer<GlobalNatsRole>;
  /** The stand-in's signing key; routers get its public half. */
  signing: RoutingSigningKey;
  controlPlane: ControlPlaneStandIn;
  cells: TestCell[];
  dir: string;
  /** A router against this world's control plane; `name` picks its snapshot file. */
  router(name: string, env?: Record<string, string>): Promise<RunningRouter>;
  stop(): Promise<void>;
}

/** Starts `cellCount` cells named cell-a, cell-b, … and publishes them (no partners yet) as version 1. */
/** The metrics-scrape credential of fixture routers. */
export const ROUTER_TEST_METRICS_TOKEN = "router-test-metrics-scrape-token";

export async function startRoutingWorld(
  cellCount: number,
  cellEnv: Record<string, string> = {},
): Promise<RoutingWorld> {
  const dir = await mkdtemp(join(tmpdir(), "cellpay-router-"));
  const bins = await ensureBinaries(() => {});
  const nats = await startNats({
    bin: bins.natsServer,
    dataDir: join(dir, "nats"),
    port: await freePort(),
    logFile: join(dir, "nats.log"),
    name: "control-plane-nats",
    permissions: globalNatsPermissions(),
  });
  const signing = await ensureRoutingSigningKey(join(dir, "routing-signing-key.pem"));
  const controlPlane = await startControlPlaneStandIn({
    natsUrl: nats.url,
    natsAuth: { seed: nats.users["control-plane"].seed },
    signingKey: signing.privateKey,
  });
  const cells = await Promise.all(Array.from({ length: cellCount }, () => startTestCell(cellEnv)));
  await controlPlane.publish({
    cells: Object.fromEntries(
      cells.map((c, i) => [cellName(i), { state: "active" as const, gateways: [c.url] }]),
    ),
  });
  const routers: RunningRouter[] = [];
  return {
    nats,
    signing,
    controlPlane,
    cells,
    dir,
    async router(name, env = {}) {
      const router = await startRouter(
        parseRouterEnv({
          PORT: "0",
          CONTROL_PLANE_URL: controlPlane.url,
          CONTROL_PLANE_NATS_URL: nats.url,
          CONTROL_PLANE_NATS_NKEY_SEED_FILE: nats.users.router.seedFile,
          ROUTING_PUBLIC_KEY: signing.publicKey,
          CELLPAY_ROUTER_TABLE_TOKEN: controlPlane.token,
          CELLPAY_METRICS_TOKEN: ROUTER_TEST_METRICS_TOKEN,
          ROUTER_SNAPSHOT_FILE: join(dir, `${name}.snapshot.json`),
          ...env,
        }),
        createLogger({ service: "router", level: process.env.ROUTER_TEST_LOG_LEVEL ?? "silent" }),
      );
      routers.push(router);
      return router;
    },
    async stop() {
      await Promise.allSettled(routers.map((r) => r.close()));
      await controlPlane.stop();
      await Promise.allSettled(cells.map((c) => c.stop()));
      await nats.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export const cellName = (index: number) => `cell-${String.fromCharCode(97 + index)}`;

/** Polls until `check` passes (deltas travel over NATS; resyncs over HTTP). */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
