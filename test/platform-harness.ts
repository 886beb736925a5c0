// A whole platform in one test process: N real cells (each its own Postgres, Redis, NATS, a
// gateway, and its outbox relay and ledger/settlement consumers in-process), the control plane's
// own Postgres and NATS with startControlPlane, the cells registered through the admin API, and
// two routers (startRouter) with snapshot files in a temp folder. Every cell shares one master key.
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "nats";
import type { z } from "zod";
import { createDb } from "../cell/db/client.ts";
import { startConsumerRunners } from "../cell/events/processors/consumer-runner.ts";
import { createLedgerHandler } from "../cell/events/processors/ledger.ts";
import { fromOutbox } from "../cell/events/processors/outbox-check.ts";
import { createSettlementHandler } from "../cell/events/processors/settlement.ts";
import { OutboxRelay } from "../cell/events/relay/outbox-relay.ts";
import { generateMasterKeyBase64 } from "../cell/vault/envelope.ts";
import { keyringSource } from "../cell/vault/master-keyring.ts";
import { createVault } from "../cell/vault/vault.ts";
import { parseControlPlaneEnv } from "../control-plane/config.ts";
import { type RunningControlPlane, startControlPlane } from "../control-plane/create-control-plane.ts";
import { ensureRoutingSigningKey } from "../control-plane/routing/routing-signing-key.ts";
import type { DrainSchema, MoveSchema } from "../control-plane/schemas/move.ts";
import type { CreatedPartnerSchema } from "../control-plane/schemas/partner.ts";
import { mintAdminToken } from "../control-plane/test/control-plane-harness.ts";
import { findBinaries } from "../platform/binaries.ts";
import type { TestCellInfraOptions } from "../platform/cell-infra.ts";
import { freePorts } from "../platform/free-port.ts";
import { type GlobalNatsRole, globalNatsPermissions } from "../platform/nats-credentials.ts";
import { type NatsServer, startNats } from "../platform/nats-server.ts";
import { type PostgresServer, startPostgres } from "../platform/postgres-server.ts";
import { parseRouterEnv } from "../router/config.ts";
import { type RunningRouter, startRouter } from "../router/create-router.ts";
import { createLogger } from "../shared/logger.ts";
import { natsConnectAuth } from "../shared/nats-auth.ts";
import {
  client,
  startTestCell,
  TEST_CELL_ADMIN_TOKEN,
  TEST_METRICS_TOKEN,
  TEST_MOVE_KEYS,
  TEST_ROUTER_TABLE_TOKEN,
  type TestCell,
} from "./harness.ts";

export type Move = z.infer<typeof MoveSchema>;
export type Drain = z.infer<typeof DrainSchema>;
export type OnboardedPartner = z.infer<typeof CreatedPartnerSchema>;
export type ErrorBody = { error?: { type: string; code: string; message: string; param?: string } };
export interface AdminResponse<T> {
  status: number;
  body: T & ErrorBody;
}

export interface PlatformCell {
  id: string;
  cell: TestCell;
  /** Stops the in-process relay and consumers (before the cell's servers go). */
  stopWorkers(): Promise<void>;
}

export interface Platform {
  cells: PlatformCell[];
  routers: RunningRouter[];
  controlPlane: RunningControlPlane | undefined;
  controlPlanePostgresUrl: string;
  /** The control plane's NATS: its URL and the credential of each role. */
  controlPlaneNats: Pick<NatsServer<GlobalNatsRole>, "url" | "users"> | undefined;
  adminToken: string;
  dir: string;
  cell(id: string): TestCell;
  admin<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<AdminResponse<T>>;
  onboard(name: string, cellId?: string): Promise<OnboardedPartner>;
  partnerClient(apiKey: string, routerIndex?: number): ReturnType<typeof client>;
  waitMove(id: string, timeoutMs?: number): Promise<Move>;
  waitDrain(id: string, timeoutMs?: number): Promise<Drain>;
  /** Closes the control plane alone (its Postgres and NATS keep running). */
  stopControlPlane(): Promise<void>;
  /** Starts a control plane again on the same database, NATS and port. */
  startControlPlane(): Promise<void>;
  /** Closes router i and starts a new one with the same snapshot file. */
  restartRouter(i: number): Promise<RunningRouter>;
  stop(): Promise<void>;
}

/** The control plane's bootstrap token: it only mints the `admin` token the tests use. */
export const BOOTSTRAP_TOKEN = "adm_platform_test_token_0123456789";
const TERMINAL = new Set(["completed", "rolled_back", "failed"]);

export async function startPlatform(opts: {
  cells: { id: string; weight?: number }[];
  routerEnv?: Record<string, string>;
  cellEnv?: Record<string, string>;
  /** Launcher options of every cell's servers (e.g. a backup root: WAL archiving into stanzas). */
  cellInfra?: TestCellInfraOptions;
}): Promise<Platform> {
  const dir = await mkdtemp(join(tmpdir(), "cellpay-platform-"));
  await chmod(dir, 0o755); // the postgres OS user must be able to enter it when we run as root
  const masterKey = generateMasterKeyBase64();
  const bins = await findBinaries();
  const [pgPort, natsPort, cpPort] = (await freePorts(3)) as [number, number, number];
  const logger = createLogger({
    service: "platform-test",
    level: process.env.PLATFORM_TEST_LOG_LEVEL ?? "silent",
  });
  let pg: PostgresServer | undefined;
  let nats: NatsServer<GlobalNatsRole> | undefined;
  const signingKeyFile = join(dir, "routing-signing-key.pem");
  const signing = await ensureRoutingSigningKey(signingKeyFile);
  const cells: PlatformCell[] = [];
  const routers: RunningRouter[] = [];
  const cleanup = async () => {
    await Promise.allSettled(routers.map((r) => r.close()));
    await platform.controlPlane?.close().catch(() => {});
    await Promise.allSettled(cells.map((c) => c.stopWorkers()));
    await Promise.allSettled(cells.map((c) => c.cell.stop()));
    await Promise.allSettled([pg?.stop(), nats?.stop()]);
    await rm(dir, { recursive: true, force: true });
  };
  const cpEnv = () =>
    parseControlPlaneEnv({
      PORT: String(cpPort),
      DATABASE_URL: pg!.url,
      NATS_URL: nats!.url,
      CELLPAY_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN,
      NATS_NKEY_SEED_FILE: nats!.users["control-plane"].seedFile,
      ROUTING_SIGNING_KEY_FILE: signingKeyFile,
      CELLPAY_CELL_ADMIN_TOKEN: TEST_CELL_ADMIN_TOKEN,
      CELLPAY_ROUTER_TABLE_TOKEN: TEST_ROUTER_TABLE_TOKEN,
      CELLPAY_METRICS_TOKEN: TEST_METRICS_TOKEN,
      CELLPAY_MOVE_SIGNING_KEY: TEST_MOVE_KEYS.signingKey,
      HEALTH_CHECK_INTERVAL_MS: "500",
    });
  const controlPlaneUrl = `http://127.0.0.1:${cpPort}`;
  const newRouter = async (i: number) =>
    startRouter(
      parseRouterEnv({
        PORT: "0",
        CONTROL_PLANE_URL: controlPlaneUrl,
        CONTROL_PLANE_NATS_URL: nats!.url,
        CONTROL_PLANE_NATS_NKEY_SEED_FILE: nats!.users.router.seedFile,
        ROUTING_PUBLIC_KEY: signing.publicKey,
        CELLPAY_ROUTER_TABLE_TOKEN: TEST_ROUTER_TABLE_TOKEN,
        CELLPAY_METRICS_TOKEN: TEST_METRICS_TOKEN,
        ROUTER_SNAPSHOT_FILE: join(dir, `router-${i}.snapshot.json`),
        ...opts.routerEnv,
      }),
      logger.child({ service: "router", router: i }),
    );

  const platform: Platform = {
    cells,
    routers,
    controlPlane: undefined,
    controlPlanePostgresUrl: "",
    adminToken: "",
    controlPlaneNats: undefined,
    dir,
    cell(id) {
      const found = cells.find((c) => c.id === id);
      if (!found) throw new Error(`no cell ${id}`);
      return found.cell;
    },
    async admin<T>(method: string, path: string, body?: unknown): Promise<AdminResponse<T>> {
      const res = await fetch(controlPlaneUrl + path, {
        method,
        headers: {
          authorization: `Bearer ${platform.adminToken}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : {}) as T & ErrorBody };
    },
    async onboard(name, cellId) {
      const res = await platform.admin<OnboardedPartner>("POST", "/admin/v1/partners", {
        name,
        ...(cellId ? { cell_id: cellId } : {}),
      });
      if (res.status !== 201)
        throw new Error(`onboarding ${name}: ${res.status} ${JSON.stringify(res.body)}`);
      // The routers learn the partner over NATS; wait until both know it.
      await eventually(() => routers.every((r) => r.store.table.partners[res.body.id] !== undefined));
      return res.body;
    },
    partnerClient(apiKey, routerIndex = 0) {
      const router = routers[routerIndex];
      if (!router) throw new Error(`no router ${routerIndex}`);
      return client(router.url, apiKey);
    },
    async waitMove(id, timeoutMs = 60_000) {
      return waitFor(() => platform.admin<Move>("GET", `/admin/v1/moves/${id}`), timeoutMs, `move ${id}`);
    },
    async waitDrain(id, timeoutMs = 120_000) {
      return waitFor(() => platform.admin<Drain>("GET", `/admin/v1/drains/${id}`), timeoutMs, `drain ${id}`);
    },
    async stopControlPlane() {
      await platform.controlPlane?.close();
      platform.controlPlane = undefined;
    },
    async startControlPlane() {
      platform.controlPlane = await startControlPlane(cpEnv(), logger.child({ service: "control-plane" }));
    },
    async restartRouter(i) {
      await routers[i]?.close();
      const router = await newRouter(i);
      routers[i] = router;
      return router;
    },
    stop: cleanup,
  };

  try {
    const cellEnv = { KEY_CACHE_TTL_MS: "0", CELLPAY_MASTER_KEY: masterKey, LOG_LEVEL: "warn" };
    const rate = { RATE_LIMIT_RATE: "10000", RATE_LIMIT_BURST: "10000" };
    // allSettled: when one start fails, wait for the others so the cleanup sees (and stops) them all.
    const results = await Promise.allSettled([
      startPostgres({
        bin: bins.pgBin,
        dataDir: join(dir, "postgres"),
        port: pgPort,
        logFile: join(dir, "pg.log"),
      }).then((server) => {
        pg = server;
      }),
      startNats({
        bin: bins.natsServer,
        dataDir: join(dir, "nats"),
        port: natsPort,
        logFile: join(dir, "nats.log"),
        permissions: globalNatsPermissions(),
      }).then((server) => {
        nats = server;
      }),
      ...opts.cells.map((c) =>
        startTestCell({ ...cellEnv, ...rate, CELLPAY_CELL_ID: c.id, ...opts.cellEnv }, opts.cellInfra).then(
          async (cell) => {
            // A cell whose workers do not start is not in `cells` yet: stop it here, not leak it.
            const stopWorkers = await startCellWorkers(
              c.id,
              cell,
              masterKey,
              opts.cellEnv?.CELLPAY_MASTER_KEYS_FILE,
            ).catch(async (err: unknown) => {
              await cell.stop();
              throw err;
            });
            cells.push({ id: c.id, cell, stopWorkers });
            return cell;
          },
        ),
      ),
    ]);
    const failed = results.find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
    if (!pg || !nats) throw new Error("control plane servers did not start");
    platform.controlPlanePostgresUrl = pg.url;
    platform.controlPlaneNats = { url: nats.url, users: nats.users };
    cells.sort(
      (a, b) => opts.cells.findIndex((c) => c.id === a.id) - opts.cells.findIndex((c) => c.id === b.id),
    );
    await platform.startControlPlane();
    platform.adminToken = await mintAdminToken(
      controlPlaneUrl,
      BOOTSTRAP_TOKEN,
      "admin",
      "platform test admin",
    );
    for (const c of opts.cells) {
      const res = await platform.admin("POST", "/admin/v1/cells", {
        id: c.id,
        weight: c.weight ?? 1,
        gateways: [platform.cell(c.id).url],
        internal_gateways: [platform.cell(c.id).internalUrl],
      });
      if (res.status !== 201)
        throw new Error(`registering ${c.id}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    routers.push(await newRouter(0), await newRouter(1));
    return platform;
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/**
 * The cell's event workers, in this process: one outbox relay and the ledger/settlement consumers,
 * each on its own NATS connection with its own credential, as the processes of `npm start` are.
 */
async function startCellWorkers(
  cellId: string,
  cell: TestCell,
  masterKey: string,
  keyringFile?: string,
): Promise<() => Promise<void>> {
  const log = createLogger({ service: "worker", cellId, level: "silent" });
  const database = createDb(cell.infra.postgresUrl, { max: 4, applicationName: `workers-${cellId}` });
  const natsAs = (role: "relay" | "processor") =>
    connect({
      servers: cell.infra.natsUrl,
      maxReconnectAttempts: -1,
      ...natsConnectAuth({ seed: cell.infra.natsUsers[role].seed }),
    });
  const relayNc = await natsAs("relay");
  const relay = new OutboxRelay({
    cellId,
    sql: database.sql,
    js: relayNc.jetstream(),
    jsm: await relayNc.jetstreamManager(),
    log,
    idleMs: 10,
  });
  await relay.start();
  const nc = await natsAs("processor");
  const jsm = await nc.jetstreamManager();
  const deps = {
    cellId,
    sql: database.sql,
    db: database.db,
    vault: await createVault({
      ...database,
      keyring: keyringSource(
        keyringFile ? { CELLPAY_MASTER_KEYS_FILE: keyringFile } : { CELLPAY_MASTER_KEY: masterKey },
      ),
      cellId,
    }),
    log,
    clock: () => new Date(),
  };
  const handlers = [createLedgerHandler(deps), createSettlementHandler(deps)].map((h) => fromOutbox(h, deps));
  const consumers = await startConsumerRunners(handlers, {
    cellId,
    js: nc.jetstream(),
    jsm,
    log,
    serverVersion: nc.info?.version ?? "0.0.0",
    retryBaseMs: 200,
    retryMaxMs: 2000,
  });
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= (async () => {
      await Promise.race([
        Promise.allSettled([relay.stop(), consumers.stop()]),
        new Promise((r) => setTimeout(r, 3000)),
      ]);
      await nc.close().catch(() => {});
      await relayNc.close().catch(() => {});
      await database.end().catch(() => {});
    })();
    return stopping;
  };
}

async function waitFor<T extends { status: string }>(
  read: () => Promise<AdminResponse<T>>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await read();
    if (res.status === 200 && TERMINAL.has(res.body.status)) return res.body;
    if (Date.now() > deadline)
      throw new Error(`${what} not finished in ${timeoutMs} ms: ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Polls until `check` passes. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 25));
  }
}
