// A cell whose Postgres is a Patroni cluster (primary + synchronous standby): the primary's
// postmaster is SIGKILLed in the middle of a stream of idempotent payments. Every acknowledged
// payment survives, none exists twice, the refused ones converge on retry, and the same gateway
// process serves again on the promoted standby. Then the standby's machine "dies": payments go
// on (degraded, one copy), and once it is back it rejoins and holds every payment.
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
import type { PatroniCluster } from "../../platform/patroni-cluster.ts";
import { waitFor } from "../../platform/wait-for.ts";
import { card, client } from "../harness.ts";

let infra: CellInfra;
let cluster: PatroniCluster;
let gateway: ManagedProcess;
let call: ReturnType<typeof client>;
let sql: postgres.Sql;

beforeAll(async () => {
  infra = await startTestCellInfra("cell-ha", { postgresReplicas: 2 });
  cluster = infra.replicatedPostgres!.cluster;
  await migrateCellDatabase(infra.postgresUrl);
  const masterKeyFile = join(infra.dataDir, "master.key");
  await writeFile(masterKeyFile, generateMasterKeyBase64(), { mode: 0o600 });
  const admin = createDb(infra.postgresUrl, { max: 1 });
  const { apiKey } = await provisionPartner(admin.db, { name: "Failover" });
  await admin.end();
  const port = await freePort();
  gateway = await startGatewayProcess({
    cellId: "cell-ha",
    index: 0,
    port,
    // The multi-host URL: the gateway finds whichever node is primary by itself.
    databaseUrl: infra.postgresUrl,
    masterKeyFile,
    logFile: join(infra.dataDir, "logs", "gateway.log"),
    // A short lock so that retries of requests cut off by the failover resume soon.
    env: { IDEMPOTENCY_LOCK_MS: "1000", LOG_LEVEL: "warn" },
  });
  call = client(`http://127.0.0.1:${port}`, apiKey);
  sql = postgres(infra.postgresUrl, { max: 2, onnotice: () => {} });
}, 180_000);
afterAll(async () => {
  await gateway?.stop();
  await sql?.end();
  await infra?.stop();
});

const request = (key: string, i: number) => ({
  amount: 1000 + i,
  currency: "EUR",
  reference: key,
  payment_method: card(),
});

interface Outcome {
  status: number;
  code?: string;
  retryAfter: string | null;
  id?: string;
  paymentStatus?: string;
}

/**
 * The test's own reads after the switch: a new connection may meet the old primary while it
 * rejoins ("the database system is starting up", 57P03) before trying the next host. That is
 * the cluster settling, not data being wrong, so the read is retried; what it returns is checked.
 */
async function whenServing<T>(read: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await read();
    } catch (err) {
      const code = (err as { code?: string }).code;
      const transient = code === "57P03" || code === "ECONNREFUSED" || code === "CONNECTION_CLOSED";
      if (!transient || Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

async function pay(key: string, i: number): Promise<Outcome> {
  const res = await call("POST", "/v1/payments", request(key, i), { "idempotency-key": key });
  return {
    status: res.status,
    ...(res.body.error?.code !== undefined ? { code: res.body.error.code } : {}),
    retryAfter: res.headers.get("retry-after"),
    ...(res.status === 201 ? { id: String(res.body.id), paymentStatus: String(res.body.status) } : {}),
  };
}

/**
 * Retries every key until it gets its 201 (409 = still locked by the cut-off attempt; 429 = the
 * partner's own limit, met when hundreds of refused keys are retried at once).
 */
async function converge(keys: Map<string, number>): Promise<Map<string, Outcome>> {
  const final = new Map<string, Outcome>();
  for (let attempt = 0; attempt < 40 && final.size < keys.size; attempt++) {
    const pending = [...keys].filter(([key]) => !final.has(key));
    await Promise.all(
      pending.map(async ([key, i]) => {
        const outcome = await pay(key, i);
        if (outcome.status === 201) final.set(key, outcome);
        else expect([409, 429, 503]).toContain(outcome.status);
      }),
    );
    if (final.size < keys.size) await new Promise((r) => setTimeout(r, 500));
  }
  return final;
}

const membersReady = () =>
  waitFor(
    async () => {
      const members = await cluster.members();
      const ok =
        members.length === 2 &&
        members.every((m) => m.state === "running" || m.state === "streaming") &&
        members.some((m) => m.role === "sync_standby");
      if (!ok) throw new Error(JSON.stringify(members));
    },
    { what: "both nodes running with a synchronous standby", timeoutMs: 120_000, intervalMs: 250 },
  );

/**
 * A stream of idempotent payments from 4 clients; `kill` takes the primary down after 30 were
 * acknowledged; the stream goes on until 30 more were acknowledged after the kill. Then every key
 * is retried until it converges, and the outcomes are checked against the rows.
 */
async function failoverUnderPayments(
  prefix: string,
  kill: (leader: number) => Promise<void>,
): Promise<{ refused: number }> {
  await membersReady();
  const oldLeader = (await cluster.leaderIndex())!;
  expect(oldLeader).toBeTypeOf("number");
  const keys = new Map<string, number>();
  const outcomes = new Map<string, Outcome>();
  let next = 0;
  let killedAt: number | undefined; // index of the first key sent after the kill
  let ackedAfterKill = 0;
  let done = false;
  const worker = async () => {
    while (!done && next < 3000) {
      const i = next++;
      const key = `${prefix}-${i}`;
      keys.set(key, i);
      const outcome = await pay(key, i);
      outcomes.set(key, outcome);
      if (killedAt !== undefined && i > killedAt && outcome.status === 201) ackedAfterKill++;
      if (ackedAfterKill >= 30) done = true;
    }
  };
  const workers = Array.from({ length: 4 }, worker);
  await waitFor(
    async () => {
      if ([...outcomes.values()].filter((o) => o.status === 201).length < 30) throw new Error("warming up");
    },
    { what: "30 payments before the kill", timeoutMs: 60_000 },
  );
  await kill(oldLeader);
  killedAt = next;
  await Promise.all(workers);
  expect(ackedAfterKill).toBeGreaterThanOrEqual(30); // the cell serves again, on the other node

  // Refusals during the switch are the documented 503 with Retry-After, never a 500.
  const refused = [...outcomes.values()].filter((o) => o.status !== 201);
  console.log(
    `${prefix}: ${keys.size} keys, ${keys.size - refused.length} acknowledged at first try, ` +
      `${refused.length} refused (${[...new Set(refused.map((o) => `${o.status} ${o.code}`))].join(", ")})`,
  );
  for (const o of refused) {
    expect(o).toMatchObject({ status: 503, code: "service_unavailable" });
    expect(o.retryAfter).not.toBeNull();
  }
  // Exactly one primary. Usually the standby (Patroni fails over at once, primary_start_timeout
  // 0); if Patroni finds the standby unfit at that moment (it could not get its status in
  // time, say), it crash-recovers the old primary in place instead: the same committed data.
  const newLeader = await waitFor(
    async () => {
      const i = await cluster.leaderIndex();
      if (i === undefined) throw new Error("no single primary");
      return i;
    },
    { what: "one primary", timeoutMs: 30_000 },
  );
  console.log(
    newLeader === oldLeader ? "old primary recovered in place" : `failed over to node ${newLeader}`,
  );
  expect(gateway.running).toBe(true); // no gateway was restarted

  const final = await converge(keys);
  expect(final.size).toBe(keys.size);
  for (const [key, o] of outcomes) {
    if (o.status !== 201) continue;
    // A retry of an acknowledged key replays the same payment; the payment is readable.
    expect(final.get(key)).toMatchObject({ id: o.id, paymentStatus: o.paymentStatus });
    const got = await call("GET", `/v1/payments/${o.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id: o.id, status: o.paymentStatus, reference: key });
  }
  const perReference = await whenServing(
    () => sql<{ reference: string; n: number }[]>`
      select reference, count(*)::int as n from payments where reference like ${`${prefix}-%`} group by reference`,
  );
  expect(perReference).toHaveLength(keys.size);
  expect(perReference.filter((r) => r.n !== 1)).toEqual([]);
  const statuses = await whenServing(
    () => sql<{ status: string; n: number }[]>`
      select status, count(*)::int as n from payments where reference like ${`${prefix}-%`} group by status`,
  );
  expect(statuses).toEqual([{ status: "succeeded", n: keys.size }]);

  // Fencing: the old primary came back as a standby of the new one, not as a second writer.
  // (A machine that died comes back now, as after a reboot.)
  if (!cluster.processes[oldLeader]!.running) await cluster.restartNode(oldLeader);
  await membersReady();
  const members = await cluster.members();
  expect(members.filter((m) => m.role === "leader").map((m) => m.port)).toEqual([
    cluster.postgresPorts[newLeader],
  ]);
  return { refused: refused.length };
}

describe("replicated cell Postgres: failover under a stream of payments", () => {
  it("SIGKILL of the primary's postmaster: nothing acknowledged is lost, nothing is charged twice, the same gateway serves again", async () => {
    await failoverUnderPayments("failover", async (leader) => {
      process.kill((await cluster.postmasterPid(leader))!, "SIGKILL");
    });
  }, 240_000);

  it("the primary's whole machine dies (Patroni and its postmaster SIGKILLed): the gateway fails fast with 503, then serves on the promoted standby", async () => {
    const { refused } = await failoverUnderPayments("machine-loss", async (leader) => {
      // Patroni first, so nothing restarts the postmaster or hands the leader lock over: the
      // standby is promoted only once the lock expires (ttl), as after a real machine loss.
      const postmaster = (await cluster.postmasterPid(leader))!;
      expect(cluster.processes[leader]!.signal("SIGKILL")).toBe(true);
      process.kill(postmaster, "SIGKILL");
      await cluster.processes[leader]!.exited;
    });
    // With no primary until the leader lock expires, requests were refused (503, checked above)
    // rather than held until the switch was over.
    expect(refused).toBeGreaterThan(0);
  }, 300_000);

  it("the standby's machine dies: payments continue on the primary alone; back, it rejoins with every payment", async () => {
    await membersReady();
    const leader = (await cluster.leaderIndex())!;
    const standby = 1 - leader;
    const standbyPostmaster = (await cluster.postmasterPid(standby))!;
    expect(cluster.processes[standby]!.signal("SIGKILL")).toBe(true);
    process.kill(standbyPostmaster, "SIGKILL");
    await cluster.processes[standby]!.exited;

    const degraded: Outcome[] = [];
    for (let i = 0; i < 30; i++) degraded.push(await pay(`degraded-${i}`, i));
    expect(degraded.filter((o) => o.status !== 201)).toEqual([]);
    const members = await cluster.members();
    expect(members.some((m) => m.role === "sync_standby")).toBe(false); // running on one copy

    await cluster.restartNode(standby);
    await membersReady();
    const onStandby = postgres({
      host: "127.0.0.1",
      port: cluster.postgresPorts[standby]!,
      user: "postgres",
      database: "cellpay",
      max: 1,
      onnotice: () => {},
    });
    try {
      // The rejoined standby replays what the primary committed alone, and is still a standby.
      const row = await waitFor(
        async () => {
          const [r] = await onStandby<{ n: number; recovery: boolean }[]>`
            select count(*)::int as n, pg_is_in_recovery() as recovery
            from payments where reference like 'degraded-%'`;
          if (r?.n !== 30) throw new Error(`standby has ${r?.n} of 30`);
          return r;
        },
        { what: "the rejoined standby to replay the degraded payments", timeoutMs: 60_000 },
      );
      expect(row).toEqual({ n: 30, recovery: true });
    } finally {
      await onStandby.end();
    }
  }, 240_000);
});
