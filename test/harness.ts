// A real cell for tests: Postgres, Redis and NATS started by the platform launcher on free ports,
// migrations applied, and a gateway (the same startGateway main.ts uses) on free ports (public
// and internal listener), with the simulator acquirer and its logs captured so tests can scan them.
import { Writable } from "node:stream";
import { createSimulatorAcquirer, type SimulatorAcquirer } from "../cell/acquirer/simulator.ts";
import { createDb } from "../cell/db/client.ts";
import { migrateCellDatabase } from "../cell/db/migrate.ts";
import { parseGatewayEnv } from "../cell/gateway/config.ts";
import { type RunningGateway, startGateway } from "../cell/gateway/create-gateway.ts";
import { provisionPartner } from "../cell/partners/provision.ts";
import { generateMasterKeyBase64 } from "../cell/vault/envelope.ts";
import { type CellInfra, startTestCellInfra, type TestCellInfraOptions } from "../platform/cell-infra.ts";
import { generateMoveKeyPair } from "../shared/cell-api/move-capability.ts";
import { createLogger } from "../shared/logger.ts";

/** The credentials test cells accept on their internal listener: one per audience. */
export const TEST_CELL_ADMIN_TOKEN = "test-cell-admin-token-for-cells";
export const TEST_METRICS_TOKEN = "test-metrics-scrape-token-for-all";
/** What test routers present to the control plane for its routing table. */
export const TEST_ROUTER_TABLE_TOKEN = "test-router-table-token-for-routers";
/** The move-capability key pair of every test cell and test control plane (this process). */
export const TEST_MOVE_KEYS = generateMoveKeyPair();

export interface TestCell {
  infra: CellInfra;
  gateway: RunningGateway;
  acquirer: SimulatorAcquirer;
  /** The public API (what routers forward to). */
  url: string;
  /** The internal listener: /internal/v1, /metrics, /metrics/partners. */
  internalUrl: string;
  masterKey: string;
  /** Every log line the gateway wrote. */
  logLines: string[];
  partner(name?: string): Promise<{ partnerId: string; apiKey: string }>;
  stop(): Promise<void>;
}

export async function startTestCell(
  env: Record<string, string> = {},
  infraOpts: TestCellInfraOptions = {},
): Promise<TestCell> {
  // The cell's NATS permissions name its subjects, so the servers must know the cell's id.
  const infra = await startTestCellInfra(env.CELLPAY_CELL_ID ?? "cell-test", infraOpts);
  try {
    await migrateCellDatabase(infra.postgresUrl);
    const masterKey = env.CELLPAY_MASTER_KEY ?? generateMasterKeyBase64();
    const logLines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        logLines.push(...String(chunk).split("\n").filter(Boolean));
        done();
      },
    });
    const gatewayEnv = parseGatewayEnv({
      CELLPAY_CELL_ID: "cell-test",
      PORT: "0",
      INTERNAL_PORT: "0",
      DATABASE_URL: infra.postgresUrl,
      REDIS_URL: infra.redisUrl,
      CELLPAY_MASTER_KEY: masterKey,
      LOG_LEVEL: "debug",
      ACQUIRER_TIMEOUT_MS: "300",
      CELLPAY_CELL_ADMIN_TOKEN: TEST_CELL_ADMIN_TOKEN,
      CELLPAY_METRICS_TOKEN: TEST_METRICS_TOKEN,
      CELLPAY_MOVE_VERIFY_KEY: TEST_MOVE_KEYS.verifyKey,
      WEBHOOK_ALLOW_PRIVATE_TARGETS: "true", // local receivers (test/security/ssrf.test.ts turns it off)
      // The sandbox live connector, for partners taken live (test/e2e/test-and-live.test.ts).
      LIVE_CONNECTORS: "sandbox",
      ...env,
    });
    const logger = createLogger({ service: "gateway", cellId: "cell-test", level: "debug" }, sink);
    const acquirer = createSimulatorAcquirer({ slowApprovalMs: 50, timeoutCardHangMs: 1000 });
    const gateway = await startGateway(gatewayEnv, logger, acquirer);
    const admin = createDb(infra.postgresUrl, { max: 2 });
    return {
      infra,
      gateway,
      acquirer,
      url: gateway.url,
      internalUrl: gateway.internalUrl,
      masterKey,
      logLines,
      partner: (name = "Test partner") => provisionPartner(admin.db, { name }),
      async stop() {
        await gateway.close();
        await admin.end();
        await infra.stop();
      },
    };
  } catch (err) {
    await infra.stop();
    throw err;
  }
}

/** A small client for one partner: JSON in, `{ status, body, headers }` out. */
export function client(url: string, apiKey: string) {
  return async function call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{
    status: number;
    body: Record<string, unknown> & { error?: Record<string, string> };
    headers: Headers;
  }> {
    const res = await fetch(url + path, {
      method,
      headers: {
        authorization: `Bearer ${apiKey}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : {}, headers: res.headers };
  };
}

export const card = (number = "4242424242424242", extra: Record<string, unknown> = {}) => ({
  type: "card",
  card: { number, exp_month: 12, exp_year: 2034, cvc: "123", ...extra },
});
