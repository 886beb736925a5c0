// TLS at the edge: the router serves HTTPS with the launcher's development certificate (HSTS on
// every answer), and a live key over plain HTTP is refused unless it comes from loopback or from a
// trusted TLS-terminating proxy that says https. Real router, real cell, real sockets from a
// non-loopback address of this machine.

import { generateKeyPairSync } from "node:crypto";
import { readFile } from "node:fs/promises";
import { request as httpsRequest } from "node:https";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueApiKey } from "../../cell/partners/provision.ts";
import { type DevCertificate, ensureDevCertificate } from "../../platform/dev-certificate.ts";
import { parseRouterEnv } from "../../router/config.ts";
import type { RunningRouter } from "../../router/create-router.ts";
import { type RoutingWorld, startRoutingWorld } from "../../router/testing/router-fixture.ts";
import { routingPublicKeyText } from "../../shared/routing/routing-signature.ts";
import { client } from "../harness.ts";

/** The first non-loopback IPv4 address of this machine, if it has one. */
const externalAddress = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && !i.internal && i.family === "IPv4")?.address;

let world: RoutingWorld;
let cert: DevCertificate;
let ca: Buffer;
let testKey: string;
let liveKey: string;

beforeAll(async () => {
  world = await startRoutingWorld(1);
  const cell = world.cells[0]!;
  const p = await cell.partner("TLS partner");
  testKey = p.apiKey;
  liveKey = (await issueApiKey(cell.gateway.deps.db, p.partnerId, "live")).apiKey;
  await world.controlPlane.publish({
    partners: { [p.partnerId]: { cell: "cell-a", status: "active", frozen: false } },
  });
  // The launcher's own code (npm start -- --tls), into this test's directory.
  cert = await ensureDevCertificate(join(world.dir, "tls"), () => {});
  ca = await readFile(cert.caFile);
});
afterAll(async () => {
  await world?.stop();
});

type Answer = { status: number; headers: Record<string, string | string[] | undefined>; body: string };

function httpsGet(url: string, o: { ca?: Buffer; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { headers: o.headers, ...(o.ca ? { ca: o.ca } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

const routerWith = (name: string, env: Record<string, string>) => world.router(name, env);
const portOf = (router: RunningRouter) => new URL(router.url).port;

describe("the router over HTTPS", () => {
  let router: RunningRouter;
  beforeAll(async () => {
    router = await routerWith("tls", {
      ROUTER_TLS_CERT_FILE: cert.certFile,
      ROUTER_TLS_KEY_FILE: cert.keyFile,
    });
  });

  it("serves HTTPS with the generated certificate (trusted through the dev CA), with HSTS on every answer", async () => {
    expect(router.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    for (const host of ["127.0.0.1", "localhost"]) {
      const url = `https://${host}:${portOf(router)}/v1/payments`;
      const listed = await httpsGet(url, { ca, headers: { authorization: `Bearer ${testKey}` } });
      expect(listed.status, listed.body).toBe(200);
      expect(JSON.parse(listed.body)).toMatchObject({ object: "list" });
      expect(listed.headers["strict-transport-security"]).toBe("max-age=31536000; includeSubDomains");
    }
    const live = await httpsGet(`${router.url}/v1/payments`, {
      ca,
      headers: { authorization: `Bearer ${liveKey}` },
    });
    expect(live.status, "a live key over TLS is served").toBe(200);
    const health = await httpsGet(`${router.url}/healthz`, { ca });
    expect(health.headers["strict-transport-security"]).toBeDefined();
    const missing = await httpsGet(`${router.url}/v1/payments`, { ca });
    expect(missing.status).toBe(401);
    expect(missing.headers["strict-transport-security"]).toBeDefined();
  });

  it("is real TLS: without the dev CA as trust root the connection is refused, and plain HTTP gets no answer", async () => {
    await expect(httpsGet(`${router.url}/healthz`)).rejects.toThrow(/certificate/i);
    await expect(fetch(`http://127.0.0.1:${portOf(router)}/healthz`)).rejects.toThrow();
  });

  it("the generated key files are private and a second run reuses the same certificate", async () => {
    const { stat } = await import("node:fs/promises");
    expect((await stat(cert.keyFile)).mode & 0o777).toBe(0o600);
    const again = await ensureDevCertificate(join(world.dir, "tls"), () => {});
    expect(await readFile(again.certFile)).toEqual(await readFile(cert.certFile));
  });
});

describe("live keys over plain HTTP", () => {
  it.skipIf(!externalAddress)(
    "are refused with 403 tls_required from a non-loopback address; test keys on the same path are not",
    async () => {
      const router = await routerWith("plain", { HOST: "0.0.0.0" });
      const url = `http://${externalAddress}:${portOf(router)}`;
      const refused = await client(url, liveKey)("GET", "/v1/payments");
      expect(refused.status).toBe(403);
      expect(refused.body.error).toMatchObject({
        type: "permission_error",
        code: "tls_required",
        request_id: expect.any(String),
      });
      expect(refused.body.error?.message).not.toContain(liveKey);
      expect(refused.headers.get("strict-transport-security"), "no HSTS over plain HTTP").toBeNull();
      // A client's own X-Forwarded-Proto means nothing from a peer that is not a trusted proxy.
      const forged = await client(url, liveKey)("GET", "/v1/payments", undefined, {
        "x-forwarded-proto": "https",
      });
      expect(forged.status).toBe(403);
      const test = await client(url, testKey)("GET", "/v1/payments");
      expect(test.status, "test keys may use plain HTTP").toBe(200);
      const loopback = await client(`http://127.0.0.1:${portOf(router)}`, liveKey)("GET", "/v1/payments");
      expect(loopback.status, "loopback is allowed").toBe(200);
    },
  );

  it.skipIf(!externalAddress)(
    "pass from a trusted TLS-terminating proxy only when it sends X-Forwarded-Proto: https",
    async () => {
      const router = await routerWith("behind-proxy", {
        HOST: "0.0.0.0",
        ROUTER_TRUSTED_PROXIES: `198.51.100.0/24, ${externalAddress}/32`,
      });
      const call = client(`http://${externalAddress}:${portOf(router)}`, liveKey);
      expect((await call("GET", "/v1/payments", undefined, { "x-forwarded-proto": "https" })).status).toBe(
        200,
      );
      expect((await call("GET", "/v1/payments", undefined, { "x-forwarded-proto": "http" })).status).toBe(
        403,
      );
      // The proxy appends its own value last: an earlier "https" was written by the client.
      const chained = await call("GET", "/v1/payments", undefined, { "x-forwarded-proto": "https, http" });
      expect(chained.status).toBe(403);
      expect((await call("GET", "/v1/payments")).status).toBe(403);
    },
  );

  it("configuration: certificate and key go together, trusted proxies must be addresses or CIDRs", () => {
    const base = {
      PORT: "0",
      CONTROL_PLANE_URL: "http://127.0.0.1:1",
      CONTROL_PLANE_NATS_URL: "nats://127.0.0.1:1",
      CELLPAY_ROUTER_TABLE_TOKEN: "router-table-token-x",
      CELLPAY_METRICS_TOKEN: "metrics-scrape-token-x",
      ROUTER_SNAPSHOT_FILE: "/tmp/x.json",
      ROUTING_PUBLIC_KEY: routingPublicKeyText(generateKeyPairSync("ed25519").publicKey),
    };
    expect(() => parseRouterEnv({ ...base, ROUTER_TLS_CERT_FILE: "/tmp/c.pem" })).toThrow(
      /ROUTER_TLS_KEY_FILE/,
    );
    expect(() => parseRouterEnv({ ...base, ROUTER_TRUSTED_PROXIES: "10.0.0.0/8, nope" })).toThrow(/nope/);
    expect(
      parseRouterEnv({ ...base, ROUTER_TRUSTED_PROXIES: "10.0.0.0/8, ::1" }).ROUTER_TRUSTED_PROXIES,
    ).toHaveLength(2);
  });
});
