// ensureStreams on a real 3-node JetStream cluster: it creates a stream only when JetStream says
// there is none, waits out a stream leader election and a cluster without quorum (its nodes coming
// back and forming again), and gives up at once on an error no retry can fix.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findBinaries } from "../../platform/binaries.ts";
import { freePorts } from "../../platform/free-port.ts";
import { type NatsCluster, startNatsCluster } from "../../platform/nats-cluster.ts";
import { type CellNatsRole, cellNatsPermissions } from "../../platform/nats-credentials.ts";
import { natsConnectAuth } from "../../shared/nats-auth.ts";
import { ensureStreams, eventSubject, eventsStream } from "./streams.ts";

const CELL = "cell-streams";
let dir: string;
let cluster: NatsCluster<CellNatsRole>;
const connections: NatsConnection[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cellpay-streams-"));
  const ports = await freePorts(6);
  cluster = await startNatsCluster({
    bin: (await findBinaries()).natsServer,
    layout: { clientPorts: ports.slice(0, 3), routePorts: ports.slice(3) },
    dataDir: join(dir, "nats"),
    logDir: join(dir, "logs"),
    name: `${CELL}-nats`,
    permissions: cellNatsPermissions(CELL),
  });
}, 60_000);
afterAll(async () => {
  await Promise.all(connections.map((nc) => nc.close()));
  await cluster?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A client of every node, as the relay is, with the given role's credential. */
async function as(role: CellNatsRole): Promise<NatsConnection> {
  const nc = await connect({
    servers: cluster.nodes.map((n) => n.url),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 200,
    ...natsConnectAuth({ seed: cluster.users[role].seed }),
  });
  connections.push(nc);
  return nc;
}

/** Resolves once `done` holds; polls every 50 ms. */
async function until(what: string, done: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("ensureStreams on a JetStream cluster", () => {
  it("an error no retry fixes (a processor may not create streams) is thrown at once, not retried", async () => {
    const jsm = await (await as("processor")).jetstreamManager();
    const retries: string[] = [];
    await expect(
      ensureStreams(jsm, CELL, 3, { onRetry: (err) => retries.push(err.message) }),
    ).rejects.toThrow(/permission/i);
    expect(retries).toEqual([]);
  });

  it("stream leader SIGKILLed: waits out the election, keeps the stream and its messages (no re-create)", async () => {
    const nc = await as("relay");
    const jsm = await nc.jetstreamManager({ timeout: 2_000 });
    await ensureStreams(jsm, CELL, 3);
    await nc.jetstream().publish(eventSubject(CELL, "ptr_x", "payment.captured"), "{}", { msgID: "evt_1" });
    const before = await jsm.streams.info(eventsStream(CELL));
    expect(before.config.num_replicas).toBe(3);
    const leader = cluster.node(before.cluster!.leader!)!;
    leader.process.signal("SIGKILL");
    await leader.process.exited;

    const retries: string[] = [];
    await ensureStreams(jsm, CELL, 3, { onRetry: (err) => retries.push(err.message) });
    const after = await jsm.streams.info(eventsStream(CELL));
    // The election was under way when it started (it had to retry), and the stream it found is
    // the same one: created at the same time, still holding the message.
    expect(retries.length).toBeGreaterThan(0);
    expect(after.created).toBe(before.created);
    expect(after.state.messages).toBe(1);
    expect(after.cluster?.leader).not.toBe(before.cluster?.leader);
    await cluster.restart(before.cluster!.leader!);
  }, 90_000);

  it("two of three nodes down (no quorum): retries until they are back and formed, then makes the streams with 3 copies", async () => {
    const nc = await as("operator");
    const jsm = await nc.jetstreamManager({ timeout: 2_000 });
    const down = cluster.nodes.slice(1).map((n) => n.process);
    for (const p of down) p.signal("SIGKILL");
    await Promise.all(down.map((p) => p.exited));

    const retries: string[] = [];
    // Another cell's streams: none exist yet, so they are made once the cluster can.
    const made = ensureStreams(jsm, "cell-forming", 3, { onRetry: (err) => retries.push(err.message) });
    await until("ensureStreams to retry", () => retries.length > 0);
    await Promise.all([1, 2].map((i) => cluster.restart(`${CELL}-nats-${i}`)));
    await made;
    const info = await jsm.streams.info(eventsStream("cell-forming"));
    expect(info.config.num_replicas).toBe(3);
    expect(info.cluster?.replicas).toHaveLength(2);
  }, 90_000);
});
