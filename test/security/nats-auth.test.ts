// NATS is closed: the servers the launcher starts (a cell's, and the control plane's) refuse a
// client without a credential or with an unknown NKey, and each credential is held to its role's
// subjects. A router's credential cannot publish a routing delta; a processor's cannot publish a
// cell event; the relay's cannot read events through a consumer. Real nats-server processes.
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection, nkeys, type Status } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureStreams, eventSubject, eventsStream } from "../../cell/events/streams.ts";
import { ensureBinaries } from "../../platform/binaries.ts";
import { type CellInfra, startTestCellInfra } from "../../platform/cell-infra.ts";
import { ensureDevCertificate } from "../../platform/dev-certificate.ts";
import { freePort } from "../../platform/free-port.ts";
import { type GlobalNatsRole, globalNatsPermissions } from "../../platform/nats-credentials.ts";
import { type NatsServer, startNats } from "../../platform/nats-server.ts";
import { natsConnectAuth } from "../../shared/nats-auth.ts";
import { ROUTING_SUBJECT } from "../../shared/routing/routing-table.ts";

const CELL = "cell-n";
let dir: string;
let global: NatsServer<GlobalNatsRole>;
let cell: CellInfra;
const open: NatsConnection[] = [];

const as = async (url: string, seed: string) => {
  const nc = await connect({ servers: url, reconnect: false, timeout: 3_000, ...natsConnectAuth({ seed }) });
  open.push(nc);
  return nc;
};

/** The permission errors the server reports to this connection (they arrive asynchronously). */
function permissionErrors(nc: NatsConnection): string[] {
  const seen: string[] = [];
  void (async () => {
    for await (const s of nc.status() as AsyncIterable<Status>) {
      if (s.type === "error" && s.permissionContext)
        seen.push(`${s.permissionContext.operation} ${s.permissionContext.subject}`);
    }
  })();
  return seen;
}

const settle = () => new Promise((r) => setTimeout(r, 300));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cellpay-nats-auth-"));
  const bins = await ensureBinaries(() => {});
  [global, cell] = await Promise.all([
    startNats({
      bin: bins.natsServer,
      dataDir: join(dir, "nats"),
      port: await freePort(),
      logFile: join(dir, "nats.log"),
      name: "control-plane-nats",
      permissions: globalNatsPermissions(),
    }),
    startTestCellInfra(CELL),
  ]);
}, 120_000);
afterAll(async () => {
  await Promise.allSettled(open.map((nc) => nc.close()));
  await Promise.allSettled([global?.stop(), cell?.stop()]);
  await rm(dir, { recursive: true, force: true });
});

describe("NATS authentication", () => {
  it("refuses a connection without a credential, or with an NKey the server does not know", async () => {
    for (const url of [global.url, cell.natsUrl]) {
      await expect(connect({ servers: url, reconnect: false, timeout: 3_000 })).rejects.toThrow(
        /authorization/i,
      );
      const stranger = new TextDecoder().decode(nkeys.createUser().getSeed());
      await expect(
        connect({ servers: url, reconnect: false, timeout: 3_000, ...natsConnectAuth({ seed: stranger }) }),
      ).rejects.toThrow(/authorization/i);
    }
    // The credentials themselves: one seed file per role, readable by the owner only.
    for (const user of [...Object.values(global.users), ...Object.values(cell.natsUsers)]) {
      expect((await stat(user.seedFile)).mode & 0o777).toBe(0o600);
    }
  });
});

describe("NATS authorisation on the control plane's server", () => {
  it("lets the control plane publish a routing delta, and not a router", async () => {
    const listener = await as(global.url, global.users.router.seed);
    const received: string[] = [];
    const sub = listener.subscribe(ROUTING_SUBJECT, { callback: (_e, m) => received.push(m.string()) });
    await listener.flush();

    const router = await as(global.url, global.users.router.seed);
    const routerErrors = permissionErrors(router);
    router.publish(ROUTING_SUBJECT, JSON.stringify({ version: 999, cells: {}, partners: {} }));
    await router.flush();
    await settle();
    expect(routerErrors.join("\n")).toContain("publish cellpay.routing.delta");

    const controlPlane = await as(global.url, global.users["control-plane"].seed);
    controlPlane.publish(ROUTING_SUBJECT, "from the control plane");
    await controlPlane.flush();
    await settle();
    // Only the control plane's message went through.
    expect(received).toEqual(["from the control plane"]);
    sub.unsubscribe();
  });

  it("does not let the control plane's credential listen to routing (only routers subscribe)", async () => {
    const controlPlane = await as(global.url, global.users["control-plane"].seed);
    const errors = permissionErrors(controlPlane);
    controlPlane.subscribe(ROUTING_SUBJECT);
    await controlPlane.flush();
    await settle();
    expect(errors.join("\n")).toContain("subscription cellpay.routing.delta");
  });
});

describe("NATS authorisation on a cell's server", () => {
  it("lets only the relay publish the cell's events: a processor's credential is refused", async () => {
    const relay = await as(cell.natsUrl, cell.natsUsers.relay.seed);
    await ensureStreams(await relay.jetstreamManager(), CELL);
    const subject = eventSubject(CELL, "ptr_x", "payment.captured");

    const processor = await as(cell.natsUrl, cell.natsUsers.processor.seed);
    const errors = permissionErrors(processor);
    processor.publish(subject, "{}");
    await processor.flush();
    await settle();
    expect(errors.join("\n")).toContain(`publish ${subject}`);
    // Nor may a processor change the streams.
    const jsm = await processor.jetstreamManager();
    await expect(jsm.streams.delete(eventsStream(CELL))).rejects.toThrow(/permission/i);

    const ack = await relay.jetstream().publish(subject, "{}");
    expect(ack.stream).toBe(eventsStream(CELL));
  });

  it("does not let the relay's credential read events through a consumer", async () => {
    const relay = await as(cell.natsUrl, cell.natsUsers.relay.seed);
    const jsm = await relay.jetstreamManager();
    await expect(jsm.consumers.add(eventsStream(CELL), { durable_name: "spy" })).rejects.toThrow(
      /permission/i,
    );
  });
});

describe("NATS over TLS", () => {
  it("serves TLS when given a certificate: a client that trusts its CA connects, one that does not is refused", async () => {
    const tls = await ensureDevCertificate(join(dir, "tls"), () => {});
    const bins = await ensureBinaries(() => {});
    const server = await startNats({
      bin: bins.natsServer,
      dataDir: join(dir, "nats-tls"),
      port: await freePort(),
      logFile: join(dir, "nats-tls.log"),
      name: "tls-nats",
      permissions: globalNatsPermissions(),
      tls: { certFile: tls.certFile, keyFile: tls.keyFile, serverCaFile: tls.caFile },
    });
    try {
      const seed = server.users.router.seed;
      const secure = await connect({
        servers: server.url,
        reconnect: false,
        ...natsConnectAuth({ seed, tls: { caFile: tls.caFile } }),
      });
      expect(secure.info?.tls_required).toBe(true);
      await secure.close();
      await expect(
        connect({ servers: server.url, reconnect: false, timeout: 3_000, ...natsConnectAuth({ seed }) }),
      ).rejects.toThrow();
    } finally {
      await server.stop();
    }
  });
});
