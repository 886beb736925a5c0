// A real control plane for tests: its own Postgres and NATS (the platform launcher's code) on free
// ports in a temp folder, and the same startControlPlane main.ts uses. restart() stops and starts
// the control plane alone, keeping its database; a subscriber records every routing delta.
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "nats";
import { findBinaries } from "../../platform/binaries.ts";
import { freePorts } from "../../platform/free-port.ts";
import { type GlobalNatsRole, globalNatsPermissions } from "../../platform/nats-credentials.ts";
import { type NatsServer, startNats } from "../../platform/nats-server.ts";
import { type PostgresServer, startPostgres } from "../../platform/postgres-server.ts";
import { createLogger } from "../../shared/logger.ts";
import { natsConnectAuth } from "../../shared/nats-auth.ts";
import { ROUTING_SUBJECT, type RoutingDelta } from "../../shared/routing/routing-table.ts";
import {
  TEST_CELL_ADMIN_TOKEN,
  TEST_METRICS_TOKEN,
  TEST_MOVE_KEYS,
  TEST_ROUTER_TABLE_TOKEN,
} from "../../test/harness.ts";
import { parseControlPlaneEnv } from "../config.ts";
import { type RunningControlPlane, startControlPlane } from "../create-control-plane.ts";
import { ensureRoutingSigningKey } from "../routing/routing-signing-key.ts";

// The test cells' credentials (test/harness.ts): the control plane holds the same ones.
export { TEST_CELL_ADMIN_TOKEN, TEST_METRICS_TOKEN, TEST_ROUTER_TABLE_TOKEN };

export interface TestControlPlane {
  url: string;
  /** An `admin`-role token, minted through the bootstrap token as `npm start` does. */
  adminToken: string;
  bootstrapToken: string;
  /** A new token of the role (through the admin token). */
  mintToken(role: string, name?: string): Promise<string>;
  postgresUrl: string;
  natsUrl: string;
  /** The NATS credentials of the control plane's server (control-plane, router, operator). */
  natsUsers: NatsServer<GlobalNatsRole>["users"];
  /** The public key routers verify routing with (base64 DER). */
  routingPublicKey: string;
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

/** POST /admin/v1/admin-tokens with `minter`: the new token (`days` long), or a thrown error. */
export async function mintAdminToken(
  url: string,
  minter: string,
  role: string,
  name: string,
  days = 1,
): Promise<string> {
  const res = await fetch(`${url}/admin/v1/admin-tokens`, {
    method: "POST",
    headers: { authorization: `Bearer ${minter}`, "content-type": "application/json" },
    body: JSON.stringify({ name, role, expires_at: new Date(Date.now() + days * 86_400_000).toISOString() }),
  });
  const body = (await res.json()) as { token?: string };
  if (res.status !== 201 || !body.token)
    throw new Error(`minting a ${role} token: ${res.status} ${JSON.stringify(body)}`);
  return body.token;
}

export async function startTestControlPlane(
  opts: {
    healthCheckIntervalMs?: number;
    /** CELLPAY_BACKUP_DIR: where the monitor and the backups API read each cell's status file. */
    backupDir?: string;
  } = {},
): Promise<TestControlPlane> {
  const dir = await mkdtemp(join(tmpdir(), "cellpay-control-plane-"));
  await chmod(dir, 0o755); // the postgres OS user must be able to enter it when we run as root
  const bins = await findBinaries();
  const [pgPort, natsPort] = (await freePorts(2)) as [number, number];
  let pg: PostgresServer | undefined;
  let nats: NatsServer<GlobalNatsRole> | undefined;
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
        permissions: globalNatsPermissions(),
      }),
    ]);
  } catch (err) {
    await Promise.all([pg?.stop(), nats?.stop()]);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const bootstrapToken = "adm_test_bootstrap_token_0123456789";
  const signingKeyFile = join(dir, "routing-signing-key.pem");
  const signing = await ensureRoutingSigningKey(signingKeyFile);
  const env = parseControlPlaneEnv({
    PORT: "0",
    DATABASE_URL: pg.url,
    NATS_URL: nats.url,
    CELLPAY_BOOTSTRAP_TOKEN: bootstrapToken,
    NATS_NKEY_SEED_FILE: nats.users["control-plane"].seedFile,
    ROUTING_SIGNING_KEY_FILE: signingKeyFile,
    CELLPAY_CELL_ADMIN_TOKEN: TEST_CELL_ADMIN_TOKEN,
    CELLPAY_ROUTER_TABLE_TOKEN: TEST_ROUTER_TABLE_TOKEN,
    CELLPAY_METRICS_TOKEN: TEST_METRICS_TOKEN,
    CELLPAY_MOVE_SIGNING_KEY: TEST_MOVE_KEYS.signingKey,
    HEALTH_CHECK_INTERVAL_MS: String(opts.healthCheckIntervalMs ?? 500),
    ...(opts.backupDir !== undefined ? { CELLPAY_BACKUP_DIR: opts.backupDir } : {}),
  });
  const logger = createLogger({ service: "control-plane", level: "error" });
  let running = await startControlPlane(env, logger);
  const adminToken = await mintAdminToken(running.url, bootstrapToken, "admin", "test admin", 7);
  const deltas: RoutingDelta[] = [];
  // Listens as a router would, with the router's credential.
  subscriber = await connect({ servers: nats.url, ...natsConnectAuth({ seed: nats.users.router.seed }) });
  const sub = subscriber.subscribe(ROUTING_SUBJECT);
  void (async () => {
    for await (const m of sub) deltas.push(JSON.parse(m.string()) as RoutingDelta);
  })();
  await subscriber.flush();

  const harness: TestControlPlane = {
    url: running.url,
    adminToken,
    bootstrapToken,
    mintToken: (role, name = `test ${role}`) => mintAdminToken(harness.url, adminToken, role, name),
    postgresUrl: pg.url,
    natsUrl: nats.url,
    natsUsers: nats.users,
    routingPublicKey: signing.publicKey,
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
