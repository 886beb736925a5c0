// Proves the launcher starts real servers, that they die when told (or killed), and that a
// cell's data survives a restart on the same folder.
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { connect, StringCodec } from "nats";
import postgres from "postgres";
import { describe, expect, test } from "vitest";
import { natsConnectAuth } from "../shared/nats-auth.ts";
import { type CellInfra, startCellInfra, startTestCellInfra } from "./cell-infra.ts";
import { freePorts } from "./free-port.ts";

const sc = StringCodec();

function sqlClient(url: string) {
  return postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
}

async function processesMentioning(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = (await readFile(`/proc/${entry}/cmdline`, "utf8")).split("\0").join(" ");
      if (cmdline.includes(dir)) pids.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return pids;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function expectAllGone(infra: CellInfra): Promise<void> {
  for (const proc of infra.processes) expect(alive(proc.pid), `${proc.name} pid ${proc.pid}`).toBe(false);
  expect(await processesMentioning(infra.dataDir)).toEqual([]);
}

describe("cell infrastructure", () => {
  test("a test cell runs real Postgres, Redis and JetStream, and stop() leaves no process or folder", async () => {
    const infra = await startTestCellInfra("cell-proof");
    try {
      const sql = sqlClient(infra.postgresUrl);
      const [row] = await sql<{ version: string; sync: string; jit: string }[]>`
        select version() as version, current_setting('synchronous_commit') as sync, current_setting('jit') as jit`;
      expect(row?.version).toMatch(/^PostgreSQL \d+/);
      expect(row?.sync).toBe("on");
      // On, LLVM compiled the partitioned hot statements on every execution (OLTP_SETTINGS).
      expect(row?.jit).toBe("off");
      await sql.end();

      const redis = new Redis(infra.redisUrl, { maxRetriesPerRequest: 1 });
      await redis.set("proof", "real");
      expect(await redis.get("proof")).toBe("real");
      redis.disconnect();

      const nc = await connect({
        servers: infra.natsUrl,
        ...natsConnectAuth({ seed: infra.natsUsers.operator.seed }),
      });
      const jsm = await nc.jetstreamManager();
      await jsm.streams.add({ name: "PROOF", subjects: ["proof.>"] });
      const ack = await nc.jetstream().publish("proof.one", sc.encode("hello"));
      expect(ack).toMatchObject({ stream: "PROOF", seq: 1 });
      await nc.close();

      // Postgres and NATS keep the data dir in their command line, so the /proc scan below means something.
      expect((await processesMentioning(infra.dataDir)).length).toBeGreaterThanOrEqual(2);
    } finally {
      await infra.stop();
    }
    await expectAllGone(infra);
    await expect(stat(infra.dataDir)).rejects.toThrow(/ENOENT/);
  });

  test("after kill -9 of Postgres the cell restarts on the same folder with its committed data", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "cellpay-restart-"));
    const [pgPort, redisPort, natsPort] = (await freePorts(3)) as [number, number, number];
    const start = () =>
      startCellInfra({
        cellId: "cell-restart",
        dataDir,
        ports: { postgres: pgPort, redis: redisPort, nats: natsPort },
      });
    let infra = await start();
    try {
      const sql = sqlClient(infra.postgresUrl);
      await sql`create table proof (id text primary key)`;
      await sql`insert into proof values ('committed-before-kill')`;
      await sql.end();
      const redis = new Redis(infra.redisUrl, { maxRetriesPerRequest: 1 });
      await redis.set("kept", "yes");
      redis.disconnect();
      const nc = await connect({
        servers: infra.natsUrl,
        ...natsConnectAuth({ seed: infra.natsUsers.operator.seed }),
      });
      await (await nc.jetstreamManager()).streams.add({ name: "KEPT", subjects: ["kept.>"] });
      await nc.jetstream().publish("kept.one", sc.encode("1"));
      await nc.close();

      const pg = infra.processes[0]!;
      process.kill(pg.pid, "SIGKILL");
      expect(await pg.exited).toMatchObject({ signal: "SIGKILL" });
      expect(alive(pg.pid)).toBe(false);
      const after = sqlClient(infra.postgresUrl);
      await expect(after`select 1`).rejects.toThrow();
      await after.end();

      await infra.stop();
      await expectAllGone(infra);

      // The killed postmaster left postmaster.pid behind; the launcher must cope with it.
      infra = await start();
      const again = sqlClient(infra.postgresUrl);
      expect(await again`select id from proof`).toEqual([{ id: "committed-before-kill" }]);
      await again.end();
      const redisAgain = new Redis(infra.redisUrl, { maxRetriesPerRequest: 1 });
      expect(await redisAgain.get("kept")).toBe("yes");
      redisAgain.disconnect();
      const ncAgain = await connect({
        servers: infra.natsUrl,
        ...natsConnectAuth({ seed: infra.natsUsers.operator.seed }),
      });
      const info = await (await ncAgain.jetstreamManager()).streams.info("KEPT");
      expect(info.state.messages).toBe(1);
      await ncAgain.close();
    } finally {
      await infra.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
    await expectAllGone(infra);
  });
});
