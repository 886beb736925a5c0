// One payment followed end to end in one trace: a client's traceparent enters the router, which
// hands its span to the gateway; the gateway writes the span into the outbox event; the relay
// carries it in a NATS header to the processor's consumers; the webhook POST continues it. The
// router, gateway, relay, consumers and dispatcher run in this process with an in-memory
// exporter, on a real cell (Postgres, Redis, NATS JetStream) and a real webhook receiver.
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { connect, type NatsConnection } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../cell/db/client.ts";
import { startConsumerRunners } from "../../cell/events/processors/consumer-runner.ts";
import { OutboxRelay } from "../../cell/events/relay/outbox-relay.ts";
import { keyringSource } from "../../cell/vault/master-keyring.ts";
import { createVault } from "../../cell/vault/vault.ts";
import { createWebhookHandler, startWebhookDispatcher } from "../../cell/webhooks/index.ts";
import type { RunningRouter } from "../../router/create-router.ts";
import { cellName, type RoutingWorld, startRoutingWorld } from "../../router/testing/router-fixture.ts";
import { card, client } from "../../test/harness.ts";
import { type Receiver, startReceiver, waitFor } from "../../test/webhook-receiver.ts";
import { createLogger } from "../logger.ts";
import { natsConnectAuth } from "../nats-auth.ts";
import { registerTracing, type TracingHandle } from "./otel-sdk.ts";
import { newSpanId, newTraceId } from "./trace-context.ts";

const exporter = new InMemorySpanExporter();
let tracing: TracingHandle;
let world: RoutingWorld;
let router: RunningRouter;
let receiver: Receiver;
let nc: NatsConnection;
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  tracing = registerTracing("cellpay-test", [new SimpleSpanProcessor(exporter)]);
  world = await startRoutingWorld(1);
  const cell = world.cells[0]!;
  const log = createLogger({ service: "processor", cellId: cellName(0), level: "silent" });
  const database = createDb(cell.infra.postgresUrl, { max: 4 });
  const vault = await createVault({
    db: database.db,
    sql: database.sql,
    keyring: keyringSource({ CELLPAY_MASTER_KEY: cell.masterKey }),
    cellId: "cell-test",
  });
  nc = await connect({
    servers: cell.infra.natsUrl,
    ...natsConnectAuth({ seed: cell.infra.natsUsers.operator.seed }),
  });
  const jsm = await nc.jetstreamManager();
  // The gateway's cell id is "cell-test" (test/harness.ts): the pipeline must use the same.
  const deps = {
    cellId: "cell-test",
    sql: database.sql,
    db: database.db,
    vault,
    log,
    clock: () => new Date(),
  };
  const relay = new OutboxRelay({
    cellId: deps.cellId,
    sql: database.sql,
    js: nc.jetstream(),
    jsm,
    log,
    idleMs: 10,
  });
  await relay.start();
  const consumers = await startConsumerRunners([createWebhookHandler(deps)], {
    cellId: deps.cellId,
    js: nc.jetstream(),
    jsm,
    log,
    serverVersion: nc.info?.version ?? "0.0.0",
  });
  const dispatcher = startWebhookDispatcher(deps, { pollIntervalMs: 50, allowPrivateTargets: true });
  stops.push(
    () => dispatcher.stop(),
    () => consumers.stop(),
    () => relay.stop(),
    () => database.end(),
  );
  receiver = await startReceiver(() => 200);
  router = await world.router("trace");
});

afterAll(async () => {
  for (const stop of stops) await stop().catch(() => {});
  await receiver?.close();
  await nc?.close();
  await world?.stop();
  await tracing?.shutdown();
});

describe("tracing", () => {
  it("follows one payment from the router through the gateway and the processor to the webhook POST in one trace", async () => {
    const cell = world.cells[0]!;
    const partner = await cell.partner("Traced partner");
    await world.controlPlane.publish({
      partners: { [partner.partnerId]: { cell: cellName(0), status: "active", frozen: false } },
    });
    await waitFor("the router to know the partner", async () =>
      router.store.table.partners[partner.partnerId] ? true : undefined,
    );
    const direct = client(cell.url, partner.apiKey);
    const endpoint = await direct("POST", "/v1/webhook_endpoints", { url: receiver.url });
    expect(endpoint.status, JSON.stringify(endpoint.body)).toBe(201);

    const traceId = newTraceId();
    const paid = await client(router.url, partner.apiKey)(
      "POST",
      "/v1/payments",
      { amount: 2500, currency: "EUR", payment_method: card() },
      { traceparent: `00-${traceId}-${newSpanId()}-01` },
    );
    expect(paid.status, JSON.stringify(paid.body)).toBe(201);
    expect(paid.headers.get("traceparent")).toContain(traceId);

    const hook = await waitFor("the webhook", async () => receiver.requests[0], 30_000);
    expect(hook.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    // The receiver sees the POST before the dispatcher ends its span (on the response).
    const finished = (name: string) => exporter.getFinishedSpans().some((s) => s.name === name);
    await waitFor("the consumer's and the POST's spans", async () =>
      finished("process webhooks") && finished("webhook POST") ? true : undefined,
    );

    const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    const names = spans.map((s) => s.name);
    expect(names).toEqual(
      expect.arrayContaining(["router request", "gateway request", "process webhooks", "webhook POST"]),
    );
    // Parent links: the gateway's span is the router's child; the webhook POST is a child of the gateway's span.
    const byName = (n: string) => spans.find((s) => s.name === n)!;
    expect(byName("gateway request").parentSpanContext?.spanId).toBe(
      byName("router request").spanContext().spanId,
    );
    expect(byName("webhook POST").parentSpanContext?.spanId).toBe(
      byName("gateway request").spanContext().spanId,
    );
  });
});
