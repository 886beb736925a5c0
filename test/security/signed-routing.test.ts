// Signed routing with real routers, a real NATS and real cells: a delta not signed by the control
// plane's key is ignored even when it comes with the control plane's own NATS credential; a
// correctly signed delta that points a cell outside the gateway allow-list is refused; a snapshot
// file edited on disk is refused on load; and when a delta and the authenticated HTTP table
// disagree, the table wins. Each refusal is counted in cellpay_router_routing_rejected_total.
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { connect, type NatsConnection } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningRouter } from "../../router/create-router.ts";
import {
  eventually,
  ROUTER_TEST_METRICS_TOKEN,
  type RoutingWorld,
  startRoutingWorld,
} from "../../router/testing/router-fixture.ts";
import { natsConnectAuth } from "../../shared/nats-auth.ts";
import { signRoutingDocument } from "../../shared/routing/routing-signature.ts";
import { ROUTING_SUBJECT, type RoutingDelta } from "../../shared/routing/routing-table.ts";
import { card, client } from "../harness.ts";

let world: RoutingWorld;
let router: RunningRouter;
let attacker: NatsConnection;
let partner: { partnerId: string; apiKey: string };

/** The router's counter of refused routing documents, as its /metrics shows it. */
async function rejected(r: RunningRouter, reason: string): Promise<number> {
  const res = await fetch(`${r.url}/metrics`, {
    headers: { authorization: `Bearer ${ROUTER_TEST_METRICS_TOKEN}` },
  });
  const line = (await res.text())
    .split("\n")
    .find((l) => l.startsWith("cellpay_router_routing_rejected_total{") && l.includes(`reason="${reason}"`));
  return line ? Number(line.split(" ").at(-1)) : 0;
}

/** Publishes a delta on the control plane's NATS with the control plane's own credential. */
async function publishRaw(doc: unknown): Promise<void> {
  attacker.publish(ROUTING_SUBJECT, JSON.stringify(doc));
  await attacker.flush();
}

/** Publishes `doc` until the router has refused it for `reason` (its subscription may still be coming up). */
async function refusedFor(doc: unknown, reason: string): Promise<void> {
  const before = await rejected(router, reason);
  await eventually(async () => {
    await publishRaw(doc);
    return (await rejected(router, reason)) > before;
  });
}

const nextDelta = (change: Partial<RoutingDelta>): RoutingDelta => ({
  version: world.controlPlane.table.version + 1,
  cells: {},
  partners: {},
  ...change,
});

const pays = async (r: RunningRouter) =>
  (
    await client(r.url, partner.apiKey)("POST", "/v1/payments", {
      amount: 1200,
      currency: "EUR",
      payment_method: card(),
    })
  ).status;

beforeAll(async () => {
  world = await startRoutingWorld(2);
  partner = await world.cells[0]!.partner("Signed routing");
  await world.controlPlane.setPartner(partner.partnerId, { cell: "cell-a" });
  router = await world.router("signed", { RESYNC_INTERVAL_MS: "300" });
  await eventually(() => router.store.table.partners[partner.partnerId] !== undefined);
  // The strongest attacker short of the signing key: the control plane's own NATS credential.
  attacker = await connect({
    servers: world.nats.url,
    ...natsConnectAuth({ seed: world.nats.users["control-plane"].seed }),
  });
}, 120_000);
afterAll(async () => {
  await attacker?.close();
  await world?.stop();
});

describe("signed routing", () => {
  it("ignores a delta signed with another key, or not signed, and counts it", async () => {
    const other: KeyObject = generateKeyPairSync("ed25519").privateKey;
    const before = router.store.table.version;
    const forged = nextDelta({
      partners: { [partner.partnerId]: { cell: "cell-b", status: "active", frozen: false } },
    });
    await refusedFor(signRoutingDocument("delta", forged, other), "bad_signature");
    await refusedFor(forged, "unsigned");

    expect(router.store.table.version).toBe(before);
    expect(router.store.table.partners[partner.partnerId]?.cell).toBe("cell-a");
    expect(await pays(router)).toBe(201); // still served by cell-a, where the partner lives

    // The same change signed by the control plane is applied: the check is the signature.
    await world.controlPlane.setPartner(partner.partnerId, { cell: "cell-a", status: "suspended" });
    await eventually(() => router.store.table.partners[partner.partnerId]?.status === "suspended");
    await world.controlPlane.setPartner(partner.partnerId, { cell: "cell-a", status: "active" });
    await eventually(() => router.store.table.partners[partner.partnerId]?.status === "active");
  });

  it("refuses a signed delta that points a cell outside the gateway allow-list, and never saves it", async () => {
    const before = router.store.table.version;
    const evil = nextDelta({
      cells: { "cell-a": { state: "active", gateways: ["http://203.0.113.7:8080"] } },
    });
    // Signed with the real key: the allow-list holds even if the signing key were stolen.
    await refusedFor(signRoutingDocument("delta", evil, world.signing.privateKey), "gateway_not_allowed");
    expect(router.store.table.version).toBe(before);
    expect(router.store.table.cells["cell-a"]?.gateways).toEqual([world.cells[0]!.url]);
    await router.close(); // flushes the snapshot
    expect(await readFile(join(world.dir, "signed.snapshot.json"), "utf8")).not.toContain("203.0.113.7");
    router = await world.router("signed", { RESYNC_INTERVAL_MS: "300" });
    await eventually(() => router.store.ready);
  });

  it("refuses a snapshot file edited on disk when the control plane cannot vouch for anything", async () => {
    await router.close();
    const file = join(world.dir, "signed.snapshot.json");
    const saved = await readFile(file, "utf8");
    const down = { CONTROL_PLANE_URL: "http://127.0.0.1:1", RESYNC_INTERVAL_MS: "60000" };

    // Untouched, it is enough to serve with the control plane away.
    await writeFile(join(world.dir, "intact.snapshot.json"), saved);
    const intact = await world.router("intact", down);
    expect(intact.store.table.partners[partner.partnerId]?.cell).toBe("cell-a");
    expect(await pays(intact)).toBe(201);

    // One gateway changed, signature kept: refused whole.
    const tampered = saved.replace(world.cells[0]!.url, "http://127.0.0.2:1");
    expect(tampered).not.toBe(saved);
    await writeFile(join(world.dir, "tampered.snapshot.json"), tampered);
    const fooled = await world.router("tampered", down);
    expect(fooled.store.ready).toBe(false);
    expect(fooled.store.table.version).toBe(0);
    expect(await rejected(fooled, "bad_signature")).toBe(1);
    router = await world.router("signed", { RESYNC_INTERVAL_MS: "300" });
  });

  it("trusts the control plane's HTTP table over a delta that disagrees with it", async () => {
    await eventually(() => router.store.table.version === world.controlPlane.table.version);
    // A delta the control plane signed but whose content is not what its table says at that
    // version (e.g. a delta replayed from another history): the next resync puts it right.
    const version = world.controlPlane.table.version + 1;
    const diverging: RoutingDelta = {
      version,
      cells: {},
      partners: { [partner.partnerId]: { cell: "cell-b", status: "active", frozen: false } },
    };
    const signed = signRoutingDocument("delta", diverging, world.signing.privateKey);
    // Sent until the router (just restarted, its NATS subscription coming up) has applied it.
    await eventually(async () => {
      await publishRaw(signed);
      return router.store.table.version === version;
    });
    // Only now does the control plane's table reach that version, with other content.
    world.controlPlane.applySilently({
      partners: { ptr_someone_else: { cell: "cell-b", status: "active", frozen: false } },
    });
    await eventually(async () => (await rejected(router, "disagrees_with_table")) === 1);
    expect(router.store.table.version).toBe(version);
    expect(router.store.table.partners[partner.partnerId]?.cell).toBe("cell-a");
    expect(router.store.table.partners.ptr_someone_else?.cell).toBe("cell-b");
    expect(await pays(router)).toBe(201);
  });
});
