// Webhooks to partners against a real cell (Postgres, Redis, NATS processes) and real local HTTP
// receivers. The "webhooks" handler and the dispatcher run in this process, fed from the outbox.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../cell/db/client.ts";
import type { ProcessorDeps } from "../../cell/events/processors/event-handler.ts";
import { issueApiKey } from "../../cell/partners/provision.ts";
import {
  createWebhookHandler,
  type DispatcherOptions,
  startWebhookDispatcher,
  verifySignature,
} from "../../cell/webhooks/index.ts";
import { createCellClient } from "../../shared/cell-api/cell-client.ts";
import { card, client, startTestCell, TEST_CELL_ADMIN_TOKEN, type TestCell } from "../harness.ts";
import {
  latencyOf,
  percentile,
  type ReceivedWebhook,
  type Receiver,
  sleep,
  startOutboxPump,
  startReceiver,
  waitFor,
} from "../webhook-receiver.ts";

let cell: TestCell;
let deps: ProcessorDeps;
let processorDb: ReturnType<typeof createDb>;
let pump: ReturnType<typeof startOutboxPump>;
const receivers: Receiver[] = [];

beforeAll(async () => {
  cell = await startTestCell({ RATE_LIMIT_RATE: "100000", RATE_LIMIT_BURST: "100000" });
  const g = cell.gateway.deps;
  // Its own pool, as the processor process has in production: the gateway's stays for requests.
  processorDb = createDb(cell.infra.postgresUrl, { max: 10, applicationName: "test-processor" });
  const { sql, db } = processorDb;
  deps = { cellId: g.config.cellId, sql, db, vault: g.vault, log: g.logger, clock: g.clock };
  pump = startOutboxPump(deps, createWebhookHandler(deps));
});
afterAll(async () => {
  await pump?.stop();
  await Promise.all(receivers.map((r) => r.close()));
  await processorDb?.end();
  await cell?.stop();
});

async function partner(name: string) {
  const p = await cell.partner(name);
  return { ...p, call: client(cell.url, p.apiKey) };
}
type Call = ReturnType<typeof client>;
const receiver = async (answer: Receiver["answer"]) => {
  const r = await startReceiver(answer);
  receivers.push(r);
  return r;
};
const pay = (call: Call) =>
  call("POST", "/v1/payments", { amount: 1999, currency: "EUR", payment_method: card() });
const dispatcher = (o: Partial<DispatcherOptions>) =>
  startWebhookDispatcher(deps, { pollIntervalMs: 50, allowPrivateTargets: true, ...o });
const createEndpoint = async (call: Call, url: string, extra: Record<string, unknown> = {}) => {
  const res = await call("POST", "/v1/webhook_endpoints", { url, ...extra });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; secret: string };
};
const deliveriesOf = async (call: Call, query = "") =>
  (await call("GET", `/v1/webhook_deliveries${query}`)).body.data as {
    id: string;
    status: string;
    attempts: number;
    event_id: string;
  }[];
const verifies = (r: ReceivedWebhook, secret: string) =>
  verifySignature(r.body, String(r.headers["cellpay-signature"]), secret);
// Jitter narrowed to [0.75, 1) of each ceiling, so successive gaps must grow (full jitter is unit-tested).
const narrowJitter = () => 0.75 + Math.random() * 0.25;

describe("webhooks", () => {
  it("an endpoint answering 500, 500, then 200 is retried with growing gaps and delivered once, signed", async () => {
    const d = dispatcher({ backoffBaseMs: 300, random: narrowJitter });
    try {
      const rx = await receiver((n) => (n <= 2 ? 500 : 200));
      const { call, partnerId } = await partner("Retry");
      const endpoint = await createEndpoint(call, rx.url, { enabled_events: ["payment.captured"] });
      expect(endpoint.secret).toMatch(/^whsec_/);
      const payment = await pay(call);
      await waitFor("three attempts", () => rx.requests.length >= 3);
      const eventId = String(rx.requests[0]!.headers["cellpay-event-id"]);
      const [delivery] = await waitFor("succeeded", async () => {
        const list = await deliveriesOf(call, `?event_id=${eventId}`);
        return list[0]?.status === "succeeded" ? list : undefined;
      });
      const attempts = (await call("GET", `/v1/webhook_deliveries/${delivery!.id}/attempts`)).body.data as {
        status_code: number;
        attempted_at_ms: number;
      }[];
      expect(attempts.map((a) => a.status_code)).toEqual([500, 500, 200]);
      const [t0, t1, t2] = attempts.map((a) => a.attempted_at_ms) as [number, number, number];
      expect(t1 - t0).toBeGreaterThanOrEqual(200);
      // The second wait's floor (0.75 × 2 × 300 ms) is above the first wait's ceiling (300 ms):
      // comparing with the floor, not with the first observed gap, keeps a slow first claim on a
      // busy machine from passing for a shrinking backoff.
      expect(t2 - t1).toBeGreaterThanOrEqual(450);
      await sleep(700);
      expect(rx.requests).toHaveLength(3);
      for (const r of rx.requests) {
        expect(verifies(r, endpoint.secret)).toBe(true);
        expect(r.headers["cellpay-delivery-id"]).toBe(delivery!.id);
        const envelope = JSON.parse(r.body);
        expect(envelope).toMatchObject({ id: eventId, type: "payment.captured", cell_id: "cell-test" });
        expect(envelope.data).toMatchObject({ id: payment.body.id, status: "succeeded" });
        expect(verifies({ ...r, body: r.body.replace("1999", "1") }, endpoint.secret)).toBe(false);
      }
      // The webhook health the control plane shows on the partner page, from the cell's internal API.
      const health = await createCellClient({
        internalUrls: [cell.internalUrl],
        token: TEST_CELL_ADMIN_TOKEN,
      }).traffic(partnerId);
      expect(health.webhooks).toEqual({
        endpoints_enabled: 1,
        pending: 0,
        dead: 0,
        delivered_last_hour: 1,
        failed_attempts_last_hour: 2,
      });
    } finally {
      await d.stop();
    }
  });

  it("an endpoint that hangs past the timeout goes dead after the max age, is listed as dead, and resend delivers it once fixed", async () => {
    const d = dispatcher({ timeoutMs: 200, backoffBaseMs: 100, maxAgeMs: 1500 });
    try {
      let fixed = false;
      const rx = await receiver(() => (fixed ? 200 : "hang"));
      const { call } = await partner("Dead");
      const endpoint = await createEndpoint(call, rx.url);
      await pay(call);
      const pending = await waitFor("a delivery", async () => (await deliveriesOf(call))[0]);
      const early = await call("POST", `/v1/webhook_deliveries/${pending.id}/resend`);
      expect(early.status).toBe(409);
      const dead = await waitFor(
        "dead",
        async () => (await deliveriesOf(call, "?status=dead")).find((x) => x.id === pending.id),
        8000,
      );
      expect(dead.attempts).toBeGreaterThanOrEqual(2);
      const attempts = (await call("GET", `/v1/webhook_deliveries/${dead.id}/attempts`)).body.data as {
        status_code: number | null;
        error: string;
      }[];
      expect(attempts.every((a) => a.status_code === null && a.error === "timeout")).toBe(true);
      const before = rx.requests.length;
      await sleep(400);
      expect(rx.requests.length, "a dead delivery is not tried again").toBe(before);

      fixed = true;
      const resent = await call("POST", `/v1/webhook_deliveries/${dead.id}/resend`);
      expect(resent.status).toBe(200);
      expect(resent.body).toMatchObject({ status: "pending" });
      await waitFor("succeeded", async () => (await deliveriesOf(call, "?status=succeeded"))[0]);
      const after = rx.requests.slice(before);
      expect(after).toHaveLength(1);
      expect(verifies(after[0]!, endpoint.secret)).toBe(true);
      expect((await deliveriesOf(call, "?status=dead")).length).toBe(0);
    } finally {
      await d.stop();
    }
  });

  it("partner A's hanging endpoint holds only its own K slots: partner B's webhooks are not delayed", async () => {
    const d = dispatcher({ timeoutMs: 10_000, perPartnerConcurrency: 4, globalConcurrency: 6 });
    try {
      const rxA = await receiver(() => "hang");
      const rxB = await receiver(() => 200);
      const a = await partner("Hanging A");
      const b = await partner("Quiet B");
      await createEndpoint(a.call, rxA.url);
      await createEndpoint(b.call, rxB.url);
      for (let i = 0; i < 10; i++) await pay(a.call);
      await waitFor("A's slots full", () => rxA.open() === 4);
      const started = Date.now();
      for (let i = 0; i < 20; i++) await pay(b.call);
      await waitFor("B's 20 webhooks", () => rxB.requests.length >= 20);
      const elapsed = Date.now() - started;
      const latencies = await latencyOf(deps.sql, rxB.requests);
      expect(rxA.requests, "A never got more than its K slots").toHaveLength(4);
      expect(rxA.open()).toBe(4);
      expect(Math.max(...latencies), "B never waited for A's 10 s timeout").toBeLessThan(5000);
      console.log(
        `isolation: B 20 webhooks in ${elapsed} ms while A holds 4 hung slots; B commit→receipt p50 ${percentile(latencies, 50)} ms, max ${Math.max(...latencies)} ms`,
      );
    } finally {
      await d.stop();
    }
  });

  it("a live key cannot create an endpoint on a private or loopback address; a test key can", async () => {
    const { partnerId, call } = await partner("Live");
    const live = client(cell.url, (await issueApiKey(deps.db, partnerId, "live")).apiKey);
    for (const url of [
      "http://127.0.0.1:9/hook",
      "http://localhost:9/",
      "http://[::ffff:127.0.0.1]/",
      "http://10.0.0.1/",
      "http://169.254.169.254/latest",
    ]) {
      const res = await live("POST", "/v1/webhook_endpoints", { url });
      expect(res.status, url).toBe(400);
      expect(res.body.error).toMatchObject({ code: "invalid_webhook_url", param: "url" });
    }
    const publicIp = await live("POST", "/v1/webhook_endpoints", { url: "https://93.184.215.14/hook" });
    expect(publicIp.status).toBe(201);
    expect(publicIp.body).toMatchObject({ livemode: true, enabled_events: ["*"] });
    const testKey = await call("POST", "/v1/webhook_endpoints", { url: "http://127.0.0.1:9/hook" });
    expect(testKey.status).toBe(201);
    expect(testKey.body).toMatchObject({ livemode: false, status: "enabled" });
    const ftp = await call("POST", "/v1/webhook_endpoints", { url: "ftp://example.com/" });
    expect(ftp.body.error).toMatchObject({ code: "invalid_webhook_url", param: "url" });
    const badType = await call("POST", "/v1/webhook_endpoints", {
      url: "http://127.0.0.1:9/",
      enabled_events: ["payment.nope"],
    });
    expect(badType.body.error).toMatchObject({ code: "invalid_request", param: "enabled_events.0" });
    // Each endpoint belongs to its key's mode: the other mode's key does not find it.
    expect((await call("DELETE", `/v1/webhook_endpoints/${publicIp.body.id}`)).status).toBe(404);
    for (const [key, id] of [
      [live, publicIp.body.id],
      [call, testKey.body.id],
    ] as const) {
      const del = await key("DELETE", `/v1/webhook_endpoints/${id}`);
      expect(del.body).toMatchObject({ status: "disabled" });
    }
  });

  it("a secret roll sends two v1 signatures that verify with the old and the new secret; the secret is never shown again", async () => {
    const d = dispatcher({});
    try {
      const rx = await receiver(() => 200);
      const { call } = await partner("Roller");
      const endpoint = await createEndpoint(call, rx.url, { description: "orders service" });
      const rolled = await call("POST", `/v1/webhook_endpoints/${endpoint.id}/roll_secret`, {
        overlap_seconds: 3600,
      });
      expect(rolled.status).toBe(200);
      const newSecret = String(rolled.body.secret);
      expect(newSecret).not.toBe(endpoint.secret);
      await pay(call);
      await waitFor("delivery", () => rx.requests.length >= 1);
      const overlapped = rx.requests[0]!;
      expect(String(overlapped.headers["cellpay-signature"]).match(/v1=/g)).toHaveLength(2);
      expect(verifies(overlapped, endpoint.secret)).toBe(true);
      expect(verifies(overlapped, newSecret)).toBe(true);

      const now = await call("POST", `/v1/webhook_endpoints/${endpoint.id}/roll_secret`, {
        overlap_seconds: 0,
      });
      await pay(call);
      await waitFor("second delivery", () => rx.requests.length >= 2);
      const single = rx.requests[1]!;
      expect(String(single.headers["cellpay-signature"]).match(/v1=/g)).toHaveLength(1);
      expect(verifies(single, String(now.body.secret))).toBe(true);
      expect(verifies(single, newSecret)).toBe(false);

      const got = await call("GET", `/v1/webhook_endpoints/${endpoint.id}`);
      const list = await call("GET", "/v1/webhook_endpoints");
      expect(got.body).not.toHaveProperty("secret");
      expect(got.body.description).toBe("orders service");
      expect(JSON.stringify(list.body)).not.toContain("whsec_");
      const stored = await deps.sql`select * from webhook_endpoints where id = ${endpoint.id}`;
      expect(JSON.stringify(stored)).not.toContain(String(now.body.secret));
      const other = await partner("Other");
      expect((await other.call("GET", `/v1/webhook_endpoints/${endpoint.id}`)).status).toBe(404);
      expect((await other.call("POST", `/v1/webhook_endpoints/${endpoint.id}/roll_secret`, {})).status).toBe(
        404,
      );
    } finally {
      await d.stop();
    }
  });

  it("measures (not asserts) commit→webhook delay over 200 events, in-process", async () => {
    const d = dispatcher({ pollIntervalMs: 1000 });
    try {
      const rx = await receiver(() => 200);
      const { call } = await partner("Latency");
      await createEndpoint(call, rx.url);
      const started = Date.now();
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let i = 0; i < 25; i++) await pay(call);
        }),
      );
      await waitFor("200 webhooks", () => rx.requests.length >= 200, 30_000);
      const latencies = await latencyOf(deps.sql, rx.requests);
      const spent = Date.now() - started;
      console.log(
        `webhook latency over ${latencies.length} events (event created_at → receiver): p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms, max ${Math.max(...latencies)} ms; ${Math.round((200 * 1000) / spent)} events/s end to end`,
      );
      expect(new Set(rx.requests.map((r) => r.headers["cellpay-event-id"])).size).toBe(200);
      // Where the time goes: outbox → delivery row (the pump standing in for relay + consumer) and
      // delivery row → receiver (the dispatcher).
      const rows = await deps.sql<{ event_at: Date; queued_at: Date; id: string }[]>`
        select e.created_at as event_at, d.created_at as queued_at, d.id from webhook_deliveries d
        join events e on e.id = d.event_id
        where d.id = any(${rx.requests.map((r) => String(r.headers["cellpay-delivery-id"]))}::text[])`;
      const at = new Map(rx.requests.map((r) => [String(r.headers["cellpay-delivery-id"]), r.at]));
      const fanOut = rows.map((r) => r.queued_at.getTime() - r.event_at.getTime());
      const dispatch = rows.map((r) => at.get(r.id)! - r.queued_at.getTime());
      console.log(
        `  of which event → delivery row p50 ${percentile(fanOut, 50)} / p99 ${percentile(fanOut, 99)} ms, delivery row → receiver p50 ${percentile(dispatch, 50)} / p99 ${percentile(dispatch, 99)} ms`,
      );
    } finally {
      await d.stop();
    }
  });
});
