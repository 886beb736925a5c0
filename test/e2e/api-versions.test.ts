// Dated API versions against a real cell (Postgres, Redis, NATS processes) and real local webhook
// receivers: two partners in the same cell at the same time, one on the original version and one
// on the newest, each get their own shape in answers and webhooks; Cellpay-Version overrides the
// pin; an unknown version is a 400; an old version carries Deprecation and Sunset; the OpenAPI
// document and the changelog are per version.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../cell/db/client.ts";
import type { ProcessorDeps } from "../../cell/events/processors/event-handler.ts";
import { createWebhookHandler, startWebhookDispatcher, verifySignature } from "../../cell/webhooks/index.ts";
import { createCellClient } from "../../shared/cell-api/cell-client.ts";
import {
  card,
  client,
  startTestCell,
  TEST_CELL_ADMIN_TOKEN,
  TEST_METRICS_TOKEN,
  type TestCell,
} from "../harness.ts";
import { type Receiver, startOutboxPump, startReceiver, waitFor } from "../webhook-receiver.ts";

const OLD = "2026-06-01";
const NEW = "2026-12-01";
const DECLINED = "4000000000000002";

let cell: TestCell;
let processorDb: ReturnType<typeof createDb>;
let pump: ReturnType<typeof startOutboxPump>;
let dispatcher: ReturnType<typeof startWebhookDispatcher>;
const receivers: Receiver[] = [];
type Call = ReturnType<typeof client>;
let oldCall: Call;
let newCall: Call;

beforeAll(async () => {
  cell = await startTestCell({ RATE_LIMIT_RATE: "100000", RATE_LIMIT_BURST: "100000" });
  const g = cell.gateway.deps;
  processorDb = createDb(cell.infra.postgresUrl, { max: 5, applicationName: "test-processor" });
  const deps: ProcessorDeps = {
    cellId: g.config.cellId,
    sql: processorDb.sql,
    db: processorDb.db,
    vault: g.vault,
    log: g.logger,
    clock: g.clock,
  };
  pump = startOutboxPump(deps, createWebhookHandler(deps));
  dispatcher = startWebhookDispatcher(deps, { pollIntervalMs: 50, allowPrivateTargets: true });
  // The old partner has no pin (as every partner from before versions); the new one is pinned
  // the way the control plane pins it: its settings pushed through the cell's internal API.
  const older = await cell.partner("Pinned old");
  const newer = await cell.partner("Pinned new");
  const internal = createCellClient({ internalUrls: [cell.internalUrl], token: TEST_CELL_ADMIN_TOKEN });
  await internal.updatePartner(newer.partnerId, { settings: { api_version: NEW } });
  oldCall = client(cell.url, older.apiKey);
  newCall = client(cell.url, newer.apiKey);
});
afterAll(async () => {
  await dispatcher?.stop();
  await pump?.stop();
  await Promise.all(receivers.map((r) => r.close()));
  await processorDb?.end();
  await cell?.stop();
});

const decline = (call: Call, headers: Record<string, string> = {}) =>
  call("POST", "/v1/payments", { amount: 1999, currency: "EUR", payment_method: card(DECLINED) }, headers);
const authorize = (call: Call) =>
  call("POST", "/v1/payments", {
    amount: 1000,
    currency: "EUR",
    capture_method: "manual",
    payment_method: card(),
  });
const oldFailure = { failure_code: "card_declined", failure_message: expect.any(String) };
const newFailure = { failure: { code: "card_declined", message: expect.any(String) } };

describe("two partners, two versions, one cell, at the same time", () => {
  it("each gets its own payment shape on create, retrieve and list, and the version echoed", async () => {
    const [o, n] = await Promise.all([decline(oldCall), decline(newCall)]);
    expect(o.status).toBe(201);
    expect(n.status).toBe(201);
    expect(o.body).toMatchObject({ status: "failed", ...oldFailure });
    expect(o.body).not.toHaveProperty("failure");
    expect(n.body).toMatchObject({ status: "failed", ...newFailure });
    expect(n.body).not.toHaveProperty("failure_code");
    expect(o.headers.get("cellpay-version")).toBe(OLD);
    expect(n.headers.get("cellpay-version")).toBe(NEW);

    const [oGet, nGet] = await Promise.all([
      oldCall("GET", `/v1/payments/${o.body.id}`),
      newCall("GET", `/v1/payments/${n.body.id}`),
    ]);
    expect(oGet.body).toMatchObject(oldFailure);
    expect(nGet.body).toMatchObject(newFailure);
    const [oList, nList] = await Promise.all([
      oldCall("GET", "/v1/payments"),
      newCall("GET", "/v1/payments"),
    ]);
    expect((oList.body.data as object[])[0]).toMatchObject(oldFailure);
    expect((nList.body.data as object[])[0]).toMatchObject(newFailure);
    // A payment that did not fail: null in each shape.
    const ok = await authorize(newCall);
    expect(ok.body.failure).toBeNull();
    const okOld = await authorize(oldCall);
    expect(okOld.body).toMatchObject({ failure_code: null, failure_message: null });
  });

  it("a partial capture is `amount` on the old version and `amount_to_capture` on the new one", async () => {
    const [o, n] = await Promise.all([authorize(oldCall), authorize(newCall)]);
    const [oCap, nCap] = await Promise.all([
      oldCall("POST", `/v1/payments/${o.body.id}/capture`, { amount: 300 }),
      newCall("POST", `/v1/payments/${n.body.id}/capture`, { amount_to_capture: 400 }),
    ]);
    expect(oCap.body).toMatchObject({ status: "succeeded", amount_captured: 300 });
    expect(nCap.body).toMatchObject({ status: "succeeded", amount_captured: 400 });
    const other = await authorize(newCall);
    const wrong = await newCall("POST", `/v1/payments/${other.body.id}/capture`, { amount: 300 });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toMatchObject({ code: "invalid_request" });
    // Errors name the field as each version calls it.
    const [oOver, nOver] = await Promise.all([
      oldCall("POST", `/v1/payments/${(await authorize(oldCall)).body.id}/capture`, { amount: 5000 }),
      newCall("POST", `/v1/payments/${other.body.id}/capture`, { amount_to_capture: 5000 }),
    ]);
    expect(oOver.body.error).toMatchObject({ code: "amount_exceeds_capturable", param: "amount" });
    expect(nOver.body.error).toMatchObject({ code: "amount_exceeds_capturable", param: "amount_to_capture" });
    const oBad = await oldCall("POST", `/v1/payments/${o.body.id}/capture`, { amount: -1 });
    expect(oBad.body.error).toMatchObject({ code: "invalid_request", param: "amount" });
    expect(oBad.body.error?.message).not.toContain("amount_to_capture");
  });

  it("an idempotent replay is answered in the version of the replaying request", async () => {
    const key = { "idempotency-key": `replay-${randomUUID()}` };
    const first = await decline(oldCall, key);
    const replayOld = await decline(oldCall, key);
    const replayNew = await decline(oldCall, { ...key, "cellpay-version": NEW });
    expect(replayOld.headers.get("idempotent-replayed")).toBe("true");
    expect(replayOld.body).toEqual(first.body);
    expect(replayNew.body).toMatchObject({ id: first.body.id, ...newFailure });
  });

  it("webhooks: each endpoint receives the event in its own version, signed over the body it receives", async () => {
    const rxOld = await startReceiver(() => 200);
    const rxNew = await startReceiver(() => 200);
    const rxNewOnOld = await startReceiver(() => 200);
    receivers.push(rxOld, rxNew, rxNewOnOld);
    const only = { enabled_events: ["payment.failed"] };
    const epOld = await oldCall("POST", "/v1/webhook_endpoints", { url: rxOld.url, ...only });
    const epNew = await newCall("POST", "/v1/webhook_endpoints", { url: rxNew.url, ...only });
    // The new partner keeps one endpoint on the old version (its old handler still runs).
    const epPinned = await newCall("POST", "/v1/webhook_endpoints", {
      url: rxNewOnOld.url,
      ...only,
      api_version: OLD,
    });
    expect(epOld.body.api_version).toBe(OLD);
    expect(epNew.body.api_version).toBe(NEW);
    expect(epPinned.body.api_version).toBe(OLD);

    const [o, n] = await Promise.all([decline(oldCall), decline(newCall)]);
    const got = async (rx: Receiver, id: unknown) =>
      waitFor(`webhook for ${id}`, () => rx.requests.find((r) => JSON.parse(r.body).data.id === id), 20_000);
    const [wOld, wNew, wNewOnOld] = await Promise.all([
      got(rxOld, o.body.id),
      got(rxNew, n.body.id),
      got(rxNewOnOld, n.body.id),
    ]);
    expect(JSON.parse(wOld.body)).toMatchObject({ type: "payment.failed", data: oldFailure });
    expect(JSON.parse(wNew.body)).toMatchObject({ type: "payment.failed", data: newFailure });
    expect(JSON.parse(wNew.body).data).not.toHaveProperty("failure_code");
    expect(JSON.parse(wNewOnOld.body)).toMatchObject({ type: "payment.failed", data: oldFailure });
    for (const [w, ep] of [
      [wOld, epOld],
      [wNew, epNew],
      [wNewOnOld, epPinned],
    ] as const) {
      expect(verifySignature(w.body, String(w.headers["cellpay-signature"]), String(ep.body.secret))).toBe(
        true,
      );
    }

    // Upgrading the endpoint: the next event arrives in the new shape.
    const upgraded = await newCall("POST", `/v1/webhook_endpoints/${epPinned.body.id}`, { api_version: NEW });
    expect(upgraded.status).toBe(200);
    expect(upgraded.body.api_version).toBe(NEW);
    const later = await decline(newCall);
    const wLater = await got(rxNewOnOld, later.body.id);
    expect(JSON.parse(wLater.body).data).toMatchObject(newFailure);
    const bad = await newCall("POST", `/v1/webhook_endpoints/${epPinned.body.id}`, {
      api_version: "2020-01-01",
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: "invalid_request", param: "api_version" });
  });

  it("the events API renders the stored event in the request's version", async () => {
    const n = await decline(newCall);
    const event = await waitFor("event", async () => {
      const list = await newCall("GET", "/v1/events?type=payment.failed");
      return (list.body.data as { id: string; data: { id: string } }[]).find((e) => e.data.id === n.body.id);
    });
    const asNew = await newCall("GET", `/v1/events/${event.id}`);
    const asOld = await newCall("GET", `/v1/events/${event.id}`, undefined, { "cellpay-version": OLD });
    expect(asNew.body.data).toMatchObject(newFailure);
    expect(asOld.body.data).toMatchObject(oldFailure);
  });
});

describe("choosing the version", () => {
  it("Cellpay-Version overrides the pin for one request, both ways", async () => {
    const up = await decline(oldCall, { "cellpay-version": NEW });
    expect(up.headers.get("cellpay-version")).toBe(NEW);
    expect(up.body).toMatchObject(newFailure);
    const down = await decline(newCall, { "cellpay-version": OLD });
    expect(down.headers.get("cellpay-version")).toBe(OLD);
    expect(down.body).toMatchObject(oldFailure);
  });

  it.each(["2026-13-01", "latest", "2025-01-01"])(
    "an unknown version %j is a 400 in the one error shape, and nothing is created",
    async (version) => {
      const before = (await oldCall("GET", "/v1/payments?limit=100")).body.data as unknown[];
      const res = await decline(oldCall, { "cellpay-version": version });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({
        type: "invalid_request_error",
        code: "invalid_api_version",
        param: "cellpay-version",
        request_id: expect.stringMatching(/^req_/),
      });
      const after = (await oldCall("GET", "/v1/payments?limit=100")).body.data as unknown[];
      expect(after.length).toBe(before.length);
    },
  );

  it("a version past its support window carries Deprecation, Sunset and a changelog link; the newest none", async () => {
    const old = await oldCall("GET", "/v1/payments?limit=1");
    expect(old.headers.get("deprecation")).toBe(`@${Date.parse("2026-12-01") / 1000}`);
    expect(old.headers.get("sunset")).toBe(new Date("2027-12-01").toUTCString());
    expect(old.headers.get("link")).toBe('</v1/versions>; rel="deprecation"');
    const current = await newCall("GET", "/v1/payments?limit=1");
    expect(current.headers.get("deprecation")).toBeNull();
    expect(current.headers.get("sunset")).toBeNull();
  });

  it("requests are counted by api_version and source in the gateway's metrics", async () => {
    const res = await fetch(`${cell.internalUrl}/metrics`, {
      headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` },
    });
    const text = await res.text();
    expect(text).toMatch(
      /cellpay_api_version_requests_total\{[^}]*api_version="2026-06-01"[^}]*source="pin"[^}]*\} [1-9]/,
    );
    expect(text).toMatch(
      /cellpay_api_version_requests_total\{[^}]*api_version="2026-12-01"[^}]*source="header"[^}]*\} [1-9]/,
    );
  });
});

describe("documents per version", () => {
  interface Doc {
    info: { version: string; description: string };
    components: { schemas: Record<string, { properties: Record<string, unknown> }> };
  }
  const doc = async (query: string) => {
    const res = await fetch(`${cell.url}/v1/openapi.json${query}`);
    return { res, body: (await res.json()) as Doc };
  };

  it("GET /v1/openapi.json?version= shows each version's Payment and CapturePayment", async () => {
    const [older, newer, plain] = await Promise.all([
      doc(`?version=${OLD}`),
      doc(`?version=${NEW}`),
      doc(""),
    ]);
    const props = (d: Doc, name: string) => Object.keys(d.components.schemas[name]!.properties);
    expect(props(older.body, "Payment")).toEqual(expect.arrayContaining(["failure_code", "failure_message"]));
    expect(props(older.body, "Payment")).not.toContain("failure");
    expect(props(older.body, "CapturePayment")).toEqual(["amount"]);
    expect(props(newer.body, "Payment")).toContain("failure");
    expect(props(newer.body, "Payment")).not.toContain("failure_code");
    expect(props(newer.body, "CapturePayment")).toEqual(["amount_to_capture"]);
    expect(older.body.info.version).toBe(OLD);
    expect(older.body.info.description).toContain("payment_failure_object");
    expect(plain.body.info.version).toBe(NEW);
    // The changelog is documented, as a key-less route.
    expect(
      (plain.body as unknown as { paths: Record<string, { get?: { security?: unknown } }> }).paths[
        "/v1/versions"
      ]?.get,
    ).toBeDefined();
    expect(older.res.headers.get("cellpay-version")).toBe(OLD);
    const unknown = await fetch(`${cell.url}/v1/openapi.json?version=1999-01-01`);
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe("invalid_api_version");
  });

  it("GET /v1/versions is the changelog: newest first, each with its changes, no key needed", async () => {
    const res = await fetch(`${cell.url}/v1/versions`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      data: { version: string; latest: boolean; changes: { name: string }[] }[];
    };
    expect(body.data.map((v) => v.version)).toEqual([NEW, OLD]);
    expect(body.data[0]).toMatchObject({ latest: true, sunset: null });
    expect(body.data[0]!.changes.map((c) => c.name).sort()).toEqual([
      "capture_amount_to_capture",
      "payment_failure_object",
    ]);
    expect(body.data[1]).toMatchObject({
      latest: false,
      deprecated: "2026-12-01",
      sunset: "2027-12-01",
      changes: [],
    });
  });
});
