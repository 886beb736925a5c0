// Webhooks cannot be used to reach the cell's own network: every special-purpose range refused,
// for test and live keys, with the development setting off and on; DNS answers that change between
// the creation check and the delivery (rebinding) never get a connection to a local receiver; and
// attempt records show a classified reason only. Real cell (Postgres, Redis, NATS), real receivers.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../cell/db/client.ts";
import type { ProcessorDeps } from "../../cell/events/processors/event-handler.ts";
import { parseGatewayEnv } from "../../cell/gateway/config.ts";
import { issueApiKey } from "../../cell/partners/provision.ts";
import { attemptReasons } from "../../cell/webhooks/attempt-reasons.ts";
import { blockedAddressReason, publicOnly } from "../../cell/webhooks/blocked-addresses.ts";
import { parseWebhookEnv } from "../../cell/webhooks/config.ts";
import { createWebhookEndpoint } from "../../cell/webhooks/endpoints.ts";
import { createWebhookHandler, startWebhookDispatcher } from "../../cell/webhooks/index.ts";
import { checkWebhookUrl, policyFor, type Resolve } from "../../cell/webhooks/ssrf-guard.ts";
import { card, client, startTestCell, type TestCell } from "../harness.ts";
import { type Receiver, startOutboxPump, startReceiver, waitFor } from "../webhook-receiver.ts";
import { loopbackSpellings, metadataTargets, privateTargets, publicTargets } from "./ssrf-targets.ts";

const bare = (host: string) => host.replace(/^\[|\]$/g, "");
const allowPrivate = { allowPrivate: true };
/** A resolver that answers `addresses` for every name. */
const resolveTo =
  (...addresses: string[]): Resolve =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));

describe("SSRF guard, as a function", () => {
  it.each(privateTargets)("%s (%s) is refused with private targets off, allowed with them on", (host) => {
    expect(blockedAddressReason(bare(host), publicOnly)).toBeDefined();
    expect(blockedAddressReason(bare(host), allowPrivate)).toBeUndefined();
  });

  it.each(metadataTargets)("%s (%s) is refused with private targets off and on", (host) => {
    expect(blockedAddressReason(bare(host), publicOnly)).toBe("cloudMetadata");
    expect(blockedAddressReason(bare(host), allowPrivate)).toBe("cloudMetadata");
  });

  it.each(publicTargets)("public %s is allowed", (host) => {
    expect(blockedAddressReason(bare(host), publicOnly)).toBeUndefined();
  });

  it("live endpoints are public-only even with the development setting; test ones follow the setting", () => {
    expect(policyFor("live", true)).toEqual(publicOnly);
    expect(policyFor("live", false)).toEqual(publicOnly);
    expect(policyFor("test", false)).toEqual(publicOnly);
    expect(policyFor("test", true)).toEqual(allowPrivate);
  });

  it("the setting is off unless the operator turns it on, in the gateway's and the processors' config", () => {
    const gateway = {
      CELLPAY_CELL_ID: "c",
      PORT: "0",
      INTERNAL_PORT: "0",
      DATABASE_URL: "postgres://x@localhost/db",
    };
    expect(parseGatewayEnv(gateway).WEBHOOK_ALLOW_PRIVATE_TARGETS).toBe("false");
    expect(
      parseGatewayEnv({ ...gateway, WEBHOOK_ALLOW_PRIVATE_TARGETS: "true" }).WEBHOOK_ALLOW_PRIVATE_TARGETS,
    ).toBe("true");
    expect(() => parseGatewayEnv({ ...gateway, WEBHOOK_ALLOW_PRIVATE_TARGETS: "yes" })).toThrow(
      /WEBHOOK_ALLOW_PRIVATE_TARGETS/,
    );
    expect(parseWebhookEnv({}).allowPrivateTargets).toBe(false);
    expect(parseWebhookEnv({ WEBHOOK_ALLOW_PRIVATE_TARGETS: "true" }).allowPrivateTargets).toBe(true);
  });

  it("a host name is refused when any of its addresses is refused, and when it does not resolve", async () => {
    const nope: Resolve = async () => {
      throw Object.assign(new Error("nx"), { code: "ENOTFOUND" });
    };
    const mixed = await checkWebhookUrl(
      "https://hooks.example/x",
      publicOnly,
      resolveTo("8.8.8.8", "10.0.0.5"),
    );
    expect(mixed).toEqual({
      ok: false,
      reason: "host 'hooks.example' must resolve to public addresses only",
    });
    // The same answer when the name does not resolve: no oracle for which internal names exist.
    expect(await checkWebhookUrl("https://hooks.example/x", publicOnly, nope)).toEqual(mixed);
    expect((await checkWebhookUrl("https://hooks.example/x", publicOnly, resolveTo())).ok).toBe(false);
    const metadata = resolveTo("169.254.169.254");
    expect((await checkWebhookUrl("http://metadata.google.internal/", allowPrivate, metadata)).ok).toBe(
      false,
    );
    expect(
      (await checkWebhookUrl("https://hooks.example/x", publicOnly, resolveTo("93.184.215.14"))).ok,
    ).toBe(true);
  });
});

let cell: TestCell;
let deps: ProcessorDeps;
let processorDb: ReturnType<typeof createDb>;
let pump: ReturnType<typeof startOutboxPump>;
const receivers: Receiver[] = [];

beforeAll(async () => {
  // The production default: private targets off (the harness turns them on for other suites).
  cell = await startTestCell({ WEBHOOK_ALLOW_PRIVATE_TARGETS: "false" });
  const g = cell.gateway.deps;
  processorDb = createDb(cell.infra.postgresUrl, { max: 6, applicationName: "test-processor" });
  deps = {
    cellId: g.config.cellId,
    sql: processorDb.sql,
    db: processorDb.db,
    vault: g.vault,
    log: g.logger,
    clock: g.clock,
  };
  pump = startOutboxPump(deps, createWebhookHandler(deps));
});
afterAll(async () => {
  await pump?.stop();
  await Promise.all(receivers.map((r) => r.close()));
  await processorDb?.end();
  await cell?.stop();
});

/** A partner with a test key and a live key (live mode on: the sandbox live connector). */
async function partner(name: string) {
  const p = await cell.partner(name);
  await deps.sql`update partners set settings = settings || '{"live_connector": "sandbox"}' where id = ${p.partnerId}`;
  const live = await issueApiKey(deps.db, p.partnerId, "live");
  return { partnerId: p.partnerId, test: client(cell.url, p.apiKey), live: client(cell.url, live.apiKey) };
}
type Call = ReturnType<typeof client>;

/** Creates an endpoint for `url`; a created one is disabled at once (the per-partner cap is 16). */
async function tryCreate(call: Call, url: string): Promise<number> {
  const res = await call("POST", "/v1/webhook_endpoints", { url });
  if (res.status === 201) await call("DELETE", `/v1/webhook_endpoints/${res.body.id}`);
  else {
    expect(res.body.error, url).toMatchObject({ code: "invalid_webhook_url", param: "url" });
  }
  return res.status;
}

describe("SSRF guard at endpoint creation, through the API", () => {
  const refused = [
    ...privateTargets.map(([h]) => h),
    ...metadataTargets.map(([h]) => h),
    ...loopbackSpellings,
  ];

  it("with private targets off: every refused range is refused for test and live keys; public ones pass", async () => {
    const p = await partner("SSRF off");
    for (const host of refused) {
      for (const [mode, call] of [
        ["test", p.test],
        ["live", p.live],
      ] as const) {
        expect(await tryCreate(call, `http://${host}:8080/hook`), `${mode} ${host}`).toBe(400);
      }
    }
    for (const host of publicTargets) {
      expect(await tryCreate(p.test, `https://${host}/hook`), host).toBe(201);
      expect(await tryCreate(p.live, `https://${host}/hook`), host).toBe(201);
    }
    for (const url of [
      "ftp://example.com/",
      "file:///etc/passwd",
      "gopher://x/",
      "https://u:p@8.8.8.8/",
      "nope",
    ]) {
      expect(await tryCreate(p.test, url), url).toBe(400);
    }
  });

  it("with private targets on: test keys may target private ranges but never metadata; live keys stay refused", async () => {
    // The one setting the operator flips (WEBHOOK_ALLOW_PRIVATE_TARGETS), read by the route per request.
    const config = cell.gateway.deps.config;
    config.webhookAllowPrivateTargets = true;
    try {
      const p = await partner("SSRF on");
      for (const [host] of privateTargets) {
        expect(await tryCreate(p.test, `http://${host}:8080/hook`), `test ${host}`).toBe(201);
        expect(await tryCreate(p.live, `http://${host}:8080/hook`), `live ${host}`).toBe(400);
      }
      // (api.localhost. is left out: this machine's resolver has no answer for it, so it is refused.)
      for (const host of loopbackSpellings.filter((h) => h !== "api.localhost.")) {
        expect(await tryCreate(p.test, `http://${host}:8080/hook`), `test ${host}`).toBe(201);
        expect(await tryCreate(p.live, `http://${host}:8080/hook`), `live ${host}`).toBe(400);
      }
      for (const [host] of metadataTargets) {
        expect(await tryCreate(p.test, `http://${host}/latest/meta-data/`), `test ${host}`).toBe(400);
        expect(await tryCreate(p.live, `http://${host}/latest/meta-data/`), `live ${host}`).toBe(400);
      }
    } finally {
      config.webhookAllowPrivateTargets = false;
    }
  });
});

type Attempt = { status_code: number | null; error: string | null; duration_ms: number };

/** Creates the endpoint with `resolve` (the first answer), pays once, and returns its first attempts. */
async function deliverThrough(o: {
  mode: "test" | "live";
  url: string;
  resolve: Resolve;
  allowPrivateTargets: boolean;
  until: (attempts: Attempt[]) => boolean;
  timeoutMs?: number;
}) {
  const p = await partner(`rebind ${o.mode} ${o.allowPrivateTargets}`);
  const { endpoint } = await createWebhookEndpoint(
    {
      sql: deps.sql,
      vault: deps.vault,
      clock: deps.clock,
      resolve: o.resolve,
      allowPrivateTargets: o.allowPrivateTargets,
    },
    { partnerId: p.partnerId, mode: o.mode },
    { url: o.url, enabled_events: ["payment.captured"] },
  );
  const dispatcher = startWebhookDispatcher(deps, {
    pollIntervalMs: 50,
    backoffBaseMs: 100,
    timeoutMs: o.timeoutMs ?? 2000,
    allowPrivateTargets: o.allowPrivateTargets,
    resolve: o.resolve,
  });
  try {
    // The endpoint receives only events of its mode: pay with the key of that mode (a live
    // payment with a card that is not one of the simulator's test cards).
    const key = p[o.mode];
    const paid = await key("POST", "/v1/payments", {
      amount: 1999,
      currency: "EUR",
      payment_method: card(o.mode === "live" ? "4111111111111111" : undefined),
    });
    expect(paid.status).toBe(201);
    const delivery = await waitFor("a delivery", async () => {
      const list = (await key("GET", "/v1/webhook_deliveries")).body.data as { id: string }[];
      return list[0];
    });
    const attempts = await waitFor("attempts", async () => {
      const res = await key("GET", `/v1/webhook_deliveries/${delivery.id}/attempts`);
      const data = res.body.data as Attempt[];
      return o.until(data) ? { data, text: JSON.stringify(res.body) } : undefined;
    });
    const deliveries = JSON.stringify((await key("GET", "/v1/webhook_deliveries")).body);
    return { ...attempts, deliveries };
  } finally {
    await dispatcher.stop();
    await p[o.mode]("DELETE", `/v1/webhook_endpoints/${endpoint.id}`);
  }
}

/** Answers a public address for the first lookup of `host`, then 127.0.0.1: DNS rebinding. */
function rebinding(host: string): Resolve & { lookups: () => number } {
  let n = 0;
  const resolve = async (name: string) => {
    if (name !== host) throw Object.assign(new Error(`no such host ${name}`), { code: "ENOTFOUND" });
    n += 1;
    return [{ address: n === 1 ? "93.184.215.14" : "127.0.0.1", family: 4 }];
  };
  return Object.assign(resolve, { lookups: () => n });
}

describe("DNS rebinding between creation and delivery", () => {
  it.each([
    ["test", false],
    ["live", false],
    ["live", true],
  ] as const)(
    "a %s endpoint (private targets %s) whose host turns into 127.0.0.1 never reaches the local receiver",
    async (mode, allowPrivateTargets) => {
      const rx = await startReceiver(() => 200);
      receivers.push(rx);
      const port = new URL(rx.url).port;
      const resolve = rebinding("rebind.example");
      const { data, text, deliveries } = await deliverThrough({
        mode,
        url: `http://rebind.example:${port}/hooks`,
        resolve,
        allowPrivateTargets,
        until: (a) => a.length >= 2,
      });
      expect(resolve.lookups(), "resolved again at delivery").toBeGreaterThanOrEqual(2);
      expect(rx.requests, "the local receiver got nothing").toHaveLength(0);
      for (const a of data)
        expect(a).toEqual(
          expect.objectContaining({ status_code: null, error: "blocked_destination", duration_ms: 0 }),
        );
      expect(text).not.toMatch(/127\.0\.0\.1|ESSRF|refused:|rebind/);
      expect(deliveries).toContain('"last_error":"blocked_destination"');
    },
  );

  it("control: with private targets on, the same rebinding test endpoint does reach the receiver (the test can fail)", async () => {
    const rx = await startReceiver(() => 200);
    receivers.push(rx);
    const port = new URL(rx.url).port;
    const { data } = await deliverThrough({
      mode: "test",
      url: `http://rebind.example:${port}/hooks`,
      resolve: rebinding("rebind.example"),
      allowPrivateTargets: true,
      until: (a) => a.some((x) => x.status_code === 200),
    });
    expect(rx.requests.length).toBeGreaterThanOrEqual(1);
    expect(data.at(-1)).toMatchObject({ status_code: 200, error: null });
  });
});

describe("attempt records carry only a classified reason", () => {
  it("refused connections, timeouts, HTTP errors and unresolvable hosts show their class, never the raw error", async () => {
    const closed = await startReceiver(() => 200);
    const closedPort = new URL(closed.url).port;
    await closed.close();
    const failing = await startReceiver((n) => (n === 1 ? 503 : 404));
    const hanging = await startReceiver(() => "hang");
    receivers.push(failing, hanging);
    const local = resolveTo("127.0.0.1");
    const cases: [string, Resolve, (a: Attempt[]) => boolean, string[]][] = [
      [`http://127.0.0.1:${closedPort}/x`, local, (a) => a.length >= 1, ["connection_refused"]],
      [failing.url, local, (a) => a.length >= 2, ["http_5xx", "http_4xx"]],
      [`http://nx.example:${closedPort}/x`, local, (a) => a.length >= 1, ["dns_error"]],
      [hanging.url, local, (a) => a.length >= 1, ["timeout"]],
    ];
    for (const [url, resolve, until, reasons] of cases) {
      const nx: Resolve = async (name) => {
        if (name === "nx.example")
          throw Object.assign(new Error("queryA ENOTFOUND nx.example"), { code: "ENOTFOUND" });
        return resolve(name);
      };
      // nx.example resolves at creation (so the endpoint exists) and then stops resolving.
      let created = false;
      const resolveOnce: Resolve = async (name) => {
        if (!created && name === "nx.example") {
          created = true;
          return [{ address: "93.184.215.14", family: 4 }];
        }
        return nx(name);
      };
      const { data, text } = await deliverThrough({
        mode: "test",
        url,
        resolve: resolveOnce,
        allowPrivateTargets: true,
        until,
        timeoutMs: 300,
      });
      expect(
        data.slice(0, reasons.length).map((a) => a.error),
        url,
      ).toEqual(reasons);
      for (const a of data) {
        expect(attemptReasons).toContain(a.error);
        expect(a.duration_ms % 100).toBe(0);
      }
      expect(text).not.toMatch(/ECONN|ENOTFOUND|127\.0\.0\.1|nx\.example|timed out/);
    }
  });
});
