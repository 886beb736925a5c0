// A real control plane for tests: its own Postgres and NATS (the platform launcher's code) on free
// ports in a temp folder, and the same startControlPlane main.ts uses. restart() stops and starts
// the control plane alone, keeping its database; a subscriber records every routing delta.
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "nats";
import { findBinaries } from "../../platform/binaries.ts";
import { freePorts } from "../../platform/free-port.ts";
import { type NatsServer, startNats } from "../../platform/nats-server.ts";
import { type PostgresServer, startPostgres } from "../../platform/postgres-server.ts";
import { createLogger } from "../../shared/logger.ts";
import { ROUTING_SUBJECT, type RoutingDelta } from "../../shared/routing/routing-table.ts";
import {
  TEST_CELL_ADMIN_TOKEN,
  TEST_METRICS_TOKEN,
  TEST_MOVE_KEYS,
  TEST_ROUTER_TABLE_TOKEN,
} from "../../test/harness.ts";
import { parseControlPlaneEnv } from "../config.ts";
import { type RunningControlPlane, startControlPlane } from "../create-control-plane.ts";

// The test cells' credentials (test/harness.ts): the control plane holds the same ones.
export { TEST_CELL_ADMIN_TOKEN, TEST_METRICS_TOKEN, TEST_ROUTER_TABLE_TOKEN };

export interface TestControlPlane {
  url: string;
  adminToken: string;
  postgresUrl: string;
  natsUrl: string;
  running: RunningControlPlane;
  /** Every routing delta published so far, in arrival order. */
  deltas: RoutingDelta[];
  waitForDelta(match: (d: RoutingDelta) => boolean, timeoutMs?: number): Promise<RoutingDelta>;
  admin(method: string, path: string, body?: unknown, token?: string | null): Promise<AdminResponse>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface AdminResponse {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies
  body: any;
}

export async function startTestControlPlane(
  opts: { healthCheckIntervalMs?: number } = {},
): Promise<TestControlPlane> {
  const dir = await mkdtemp(join(tmpdir(), "cellpay-control-plane-"));
  await chmod(dir, 0o755); // the postgres OS user must be able to enter it when we run as root
  const bins = await findBinaries();
  const [pgPort, natsPort] = (await freePorts(2)) as [number, number];
  let pg: PostgresServer | undefined;
  let nats: NatsServer | undefined;
  let subscriber: NatsConnection | undefined;
  try {
    [pg, nats] = await Promise.all([
      startPostgres({
        bin: bins.pgBin,
        dataDir: join(dir, "postgres"),
        port: pgPort,
        logFile: join(dir, "pg.log"),
      }),
      startNats({
        bin: bins.natsServer,
        dataDir: join(dir, "nats"),
        port: natsPort,
        logFile: join(dir, "nats.log"),
      }),
    ]);
  } catch (err) {
    await Promise.all([pg?.stop(), nats?.stop()]);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const adminToken = "adm_test_bootstrap_token_0123456789";
  const env = parseControlPlaneEnv({
    PORT: "0",
    DATABASE_URL: pg.url,
    NATS_URL: nats.url,
    CELLPAY_ADMIN_TOKEN: adminToken,
    CELLPAY_CELL_ADMIN_TOKEN: TEST_CELL_ADMIN_TOKEN,
    CELLPAY_ROUTER_TABLE_TOKEN: TEST_ROUTER_TABLE_TOKEN,
    CELLPAY_METRICS_TOKEN: TEST_METRICS_TOKEN,
    CELLPAY_MOVE_SIGNING_KEY: TEST_MOVE_KEYS.signingKey,
    HEALTH_CHECK_INTERVAL_MS: String(opts.healthCheckIntervalMs ?? 500),
  });
  const logger = createLogger({ service: "control-plane", level: "error" });
  let running = await startControlPlane(env, logger);
  const deltas: RoutingDelta[] = [];
  subscriber = await connect({ servers: nats.url });
  const sub = subscriber.subscribe(ROUTING_SUBJECT);
  void (async () => {
    for await (const m of sub) deltas.push(JSON.parse(m.string()) as RoutingDelta);
  })();
  await subscriber.flush();

  const harness: TestControlPlane = {
    url: running.url,
    adminToken,
    postgresUrl: pg.url,
    natsUrl: nats.url,
    running,
    deltas,
    async waitForDelta(match, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = deltas.find(match);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no matching routing delta in ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async admin(method, path, body, token = adminToken) {
      const res = await fetch(harness.url + path, {
        method,
        headers: {
          ...(token === null ? {} : { authorization: `Bearer ${token}` }),
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : {} };
    },
    async restart() {
      await running.close();
      running = await startControlPlane({ ...env, PORT: Number(new URL(harness.url).port) }, logger);
      harness.running = running;
    },
    async stop() {
      await running.close();
      await subscriber?.close();
      await Promise.all([pg?.stop(), nats?.stop()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
  return harness;
}
