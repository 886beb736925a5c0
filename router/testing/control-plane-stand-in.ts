// For router tests only: the control plane's side of the routing contract, and nothing else. It
// serves GET /internal/v1/routing-table (Bearer token) and publishes versioned deltas on a real
// NATS at ROUTING_SUBJECT, so router tests do not depend on the control plane being built beside them.
import type { KeyObject } from "node:crypto";
import { createServer, type Server } from "node:http";
import { connect, type NatsConnection, StringCodec } from "nats";
import { type NatsClientAuth, natsConnectAuth } from "../../shared/nats-auth.ts";
import { signRoutingDocument } from "../../shared/routing/routing-signature.ts";
import {
  applyDelta,
  emptyRoutingTable,
  ROUTING_SUBJECT,
  type RoutePartner,
  type RoutingDelta,
  type RoutingTable,
} from "../../shared/routing/routing-table.ts";

/** A change to publish: like a delta, without the version (the stand-in numbers it). */
export type TableChange = Partial<Omit<RoutingDelta, "version">>;

export interface ControlPlaneStandIn {
  url: string;
  token: string;
  table: RoutingTable;
  /** Applies the next version and publishes it. */
  publish(change: TableChange): Promise<number>;
  /** Applies the next version without publishing it: routers will see a gap at the next publish. */
  applySilently(change: TableChange): number;
  /** Shortcut for one partner's entry. */
  setPartner(id: string, partner: Partial<RoutePartner> & { cell: string }): Promise<number>;
  stop(): Promise<void>;
}

const codec = StringCodec();

export async function startControlPlaneStandIn(opts: {
  natsUrl: string;
  /** The control plane's NATS credential (the only one allowed to publish routing). */
  natsAuth: NatsClientAuth;
  /** Signs the table it serves and every delta, as the real control plane does. */
  signingKey: KeyObject;
  token?: string;
  port?: number;
}): Promise<ControlPlaneStandIn> {
  const token = opts.token ?? "internal-test-token";
  let table = emptyRoutingTable();
  const server: Server = createServer((req, res) => {
    if (req.url !== "/internal/v1/routing-table") return void res.writeHead(404).end();
    if (req.headers.authorization !== `Bearer ${token}`) return void res.writeHead(401).end();
    res
      .writeHead(200, { "content-type": "application/json" })
      .end(JSON.stringify(signRoutingDocument("table", table, opts.signingKey)));
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const nc: NatsConnection = await connect({ servers: opts.natsUrl, ...natsConnectAuth(opts.natsAuth) });

  const next = (change: TableChange): RoutingDelta => {
    const delta: RoutingDelta = {
      version: table.version + 1,
      cells: change.cells ?? {},
      partners: change.partners ?? {},
    };
    if (applyDelta(table, delta) !== "applied") throw new Error("stand-in: delta did not apply");
    return delta;
  };
  const stand: ControlPlaneStandIn = {
    url: `http://127.0.0.1:${port}`,
    token,
    get table() {
      return table;
    },
    set table(t: RoutingTable) {
      table = t;
    },
    async publish(change) {
      const delta = next(change);
      nc.publish(
        ROUTING_SUBJECT,
        codec.encode(JSON.stringify(signRoutingDocument("delta", delta, opts.signingKey))),
      );
      await nc.flush();
      return delta.version;
    },
    applySilently(change) {
      return next(change).version;
    },
    setPartner(id, partner) {
      const current = table.partners[id];
      return stand.publish({
        partners: { [id]: { status: "active", frozen: false, ...current, ...partner } },
      });
    },
    async stop() {
      await nc.close().catch(() => {});
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
  return stand;
}
