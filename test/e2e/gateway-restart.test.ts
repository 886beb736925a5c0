// A gateway process killed (SIGKILL, by pid) in the middle of a stream of payments, then started
// again: every acknowledged payment is still there as acknowledged, every retried request ends
// in exactly one payment, and requests that died between the phases are resumed, not repeated.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../cell/db/client.ts";
import { migrateCellDatabase } from "../../cell/db/migrate.ts";
import { provisionPartner } from "../../cell/partners/provision.ts";
import { generateMasterKeyBase64 } from "../../cell/vault/envelope.ts";
import { type CellInfra, startTestCellInfra } from "../../platform/cell-infra.ts";
import { freePort } from "../../platform/free-port.ts";
import { startGatewayProcess } from "../../platform/gateway-process.ts";
import type { ManagedProcess } from "../../platform/managed-process.ts";
import { card, client } from "../harness.ts";

let infra: CellInfra;
let apiKey: string;
let port: number;
let masterKeyFile: string;
let sql: postgres.Sql;
const gateways: ManagedProcess[] = [];

const startGateway = async (run: number) => {
  const proc = await startGatewayProcess({
    cellId: "cell-test",
    index: 0,
    port,
    databaseUrl: infra.postgresUrl,
    masterKeyFile,
    logFile: join(infra.dataDir, "logs", `gateway-run-${run}.log`),
    // Short lock so retries resume quickly; slow recoverer so it is the retries that resume.
    env: { IDEMPOTENCY_LOCK_MS: "1000", RECOVERY_STALE_MS: "600000", LOG_LEVEL: "warn" },
  });
  gateways.push(proc);
  return proc;
};

beforeAll(async () => {
  infra = await startTestCellInfra();
  await migrateCellDatabase(infra.postgresUrl);
  masterKeyFile = join(infra.dataDir, "master.key");
  await writeFile(masterKeyFile, generateMasterKeyBase64(), { mode: 0o600 });
  const admin = createDb(infra.postgresUrl, { max: 1 });
  ({ apiKey } = await provisionPartner(admin.db, { name: "Restart" }));
  await admin.end();
  port = await freePort();
  sql = postgres(infra.postgresUrl, { max: 2, onnotice: () => {} });
});
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
  await sql?.end();
  await infra?.stop();
});

describe("gateway killed mid-stream", () => {
  it("loses nothing acknowledged and applies nothing twice", async () => {
    const first = await startGateway(1);
    const call = client(`http://127.0.0.1:${port}`, apiKey);
    const total = 60;
    // Every 4th payment uses the slow-approval card (1.5 s at the acquirer), so some requests
    // are between their two phases when the process dies.
    const request = (i: number) => ({
      amount: 1000 + i,
      currency: "EUR",
      reference: `restart-${i}`,
      payment_method: card(i % 4 === 0 ? "4000000000000259" : "4242424242424242"),
    });
    const acked = new Map<number, Record<string, unknown>>();
    const send = (i: number) =>
      call("POST", "/v1/payments", request(i), { "idempotency-key": `restart-${i}` }).then(
        (res) => {
          if (res.status === 201) acked.set(i, res.body);
        },
        () => {}, // connection reset by the kill: not acknowledged, the partner retries
      );

    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      inFlight.push(send(i));
      if (i === 40) {
        await new Promise((r) => setTimeout(r, 200));
        first.signal("SIGKILL");
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(inFlight);
    await first.exited;
    expect(acked.size).toBeGreaterThan(0);
    expect(acked.size).toBeLessThan(total);
    // The kill left payments between their phases (written, acquirer answer not recorded).
    const [between] = await sql<
      { n: number }[]
    >`select count(*)::int as n from payments where status = 'processing'`;
    expect(between!.n).toBeGreaterThan(0);

    await startGateway(2);
    // The partner retries everything with the same keys until each gets its answer.
    const final = new Map<number, Record<string, unknown>>();
    for (let attempt = 0; attempt < 20 && final.size < total; attempt++) {
      const pending = Array.from({ length: total }, (_, i) => i).filter((i) => !final.has(i));
      await Promise.all(
        pending.map(async (i) => {
          const res = await call("POST", "/v1/payments", request(i), { "idempotency-key": `restart-${i}` });
          if (res.status === 201) final.set(i, res.body);
          else expect(res.status).toBe(409); // still locked by the dead process: retry later
        }),
      );
      if (final.size < total) await new Promise((r) => setTimeout(r, 600));
    }
    expect(final.size).toBe(total);
    for (const [i, body] of acked) {
      expect(final.get(i)!.id).toBe(body.id);
      expect(final.get(i)!.status).toBe(body.status);
    }
    const perReference = await sql<{ reference: string; n: number }[]>`
      select reference, count(*)::int as n from payments where reference like 'restart-%' group by reference`;
    expect(perReference).toHaveLength(total);
    expect(perReference.every((r) => r.n === 1)).toBe(true);
    const statuses = await sql<{ status: string; n: number }[]>`
      select status, count(*)::int as n from payments where reference like 'restart-%' group by status`;
    expect(statuses).toEqual([{ status: "succeeded", n: total }]);
  });
});
