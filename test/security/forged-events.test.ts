// Processors trust the cell's database, not the message. An attacker on the cell network holding
// the credential most worth stealing there (the relay's: it may publish every event subject)
// publishes a `payment.captured` that no payment made, and an altered copy of a real one. Real
// gateway, relay and processor processes: the partner's balance and settlements do not move, both
// messages land in the dead letters with the reason, the processor warns and counts them, and a
// genuine payment afterwards is applied as usual.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { connect, type NatsConnection } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deadLetterHeaders } from "../../cell/events/processors/consumer-runner.ts";
import { deadLetterStream, eventSubject } from "../../cell/events/streams.ts";
import { freePort } from "../../platform/free-port.ts";
import { natsConnectAuth } from "../../shared/nats-auth.ts";
import { type EventsCell, eventually, startEventsCell } from "../events-cell.ts";
import { card, client } from "../harness.ts";

const CELL = "cell-f";
let cell: EventsCell;
let attacker: NatsConnection;
let metricsUrl: string;

beforeAll(async () => {
  cell = await startEventsCell({ cellId: CELL, workerEnv: { PROCESSOR_RETRY_BASE_MS: "100" } });
  await cell.worker("relay");
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  await cell.worker("processor", 0, { METRICS_PORT: String(port) });
  attacker = await connect({
    servers: cell.infra.natsUrl,
    ...natsConnectAuth({ seed: cell.infra.natsUsers.relay.seed }),
  });
}, 120_000);
afterAll(async () => {
  await attacker?.close();
  await cell?.stop();
});

interface Letter {
  consumer: string | undefined;
  eventId: string | undefined;
  reason: string | undefined;
}

async function deadLetters(): Promise<Letter[]> {
  const jsm = await cell.nc.jetstreamManager();
  const info = await jsm.streams.info(deadLetterStream(CELL));
  const out: Letter[] = [];
  for (let seq = info.state.first_seq; info.state.messages > 0 && seq <= info.state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(deadLetterStream(CELL), { seq });
    out.push({
      consumer: m.header.get(deadLetterHeaders.consumer),
      eventId: m.header.get(deadLetterHeaders.eventId),
      reason: m.header.get(deadLetterHeaders.reason),
    });
  }
  return out;
}

describe("forged events", () => {
  it("a forged or altered payment.captured changes no balance and lands in dead letters", async () => {
    const { partnerId, apiKey } = await cell.partner("Forged events");
    const call = client(cell.gatewayUrl, apiKey);
    const balance = async () => (await call("GET", "/v1/balance")).body.available;
    const settlements = async () => (await call("GET", "/v1/settlements")).body.data;

    const paid = await call("POST", "/v1/payments", {
      amount: 1000,
      currency: "EUR",
      payment_method: card(),
    });
    expect(paid.status).toBe(201);
    await eventually("the real capture in the balance", async () =>
      JSON.stringify(await balance()).includes("EUR"),
    );
    await eventually(
      "the real capture settled",
      async () => ((await settlements()) as unknown[]).length === 1,
    );
    const balanceBefore = await balance();
    const settlementsBefore = await settlements();
    const events = (await call("GET", "/v1/events?type=payment.captured")).body.data as Record<
      string,
      unknown
    >[];
    expect(events).toHaveLength(1);
    const real = events[0] as { id: string; data: Record<string, unknown> };

    const subject = eventSubject(CELL, partnerId, "payment.captured");
    const forged = {
      id: "evt_forged0000000000000001",
      type: "payment.captured",
      partner_id: partnerId,
      cell_id: CELL,
      created: Math.floor(Date.now() / 1000),
      data: { ...real.data, id: "pay_forged00000000000001", amount_captured: 5_000_000 },
    };
    const altered = { ...real, data: { ...real.data, amount_captured: 900_000 } };
    const js = attacker.jetstream();
    await js.publish(subject, JSON.stringify(forged));
    await js.publish(subject, JSON.stringify(altered));

    // Each consumer refuses both at once (no retries: retrying cannot make them true).
    const refusedBy = async (eventId: string) =>
      (await deadLetters()).filter((l) => l.eventId === eventId).map((l) => `${l.consumer}: ${l.reason}`);
    await eventually(
      "both forged messages dead-lettered by every consumer",
      async () => {
        return (await refusedBy(forged.id)).length === 3 && (await refusedBy(real.id)).length === 3;
      },
      30_000,
    );
    for (const consumer of ["ledger", "settlement", "webhooks"]) {
      expect((await refusedBy(forged.id)).find((l) => l.startsWith(`${consumer}: `))).toMatch(
        /^\w+: refused: not_in_outbox/,
      );
      expect((await refusedBy(real.id)).find((l) => l.startsWith(`${consumer}: `))).toMatch(
        /^\w+: refused: differs_from_outbox/,
      );
    }

    // What the partner sees has not moved.
    expect(await balance()).toEqual(balanceBefore);
    expect(await settlements()).toEqual(settlementsBefore);
    const payment = await call("GET", `/v1/payments/${String((paid.body as { id: string }).id)}`);
    expect(payment.body.amount_captured).toBe(1000);

    // Alerted: counted by consumer and reason, and warned in the processor's log.
    const metrics = await (await fetch(metricsUrl)).text();
    for (const consumer of ["ledger", "settlement", "webhooks"]) {
      for (const reason of ["not_in_outbox", "differs_from_outbox"]) {
        expect(metrics).toMatch(
          new RegExp(`cellpay_events_refused_total\\{[^}]*consumer="${consumer}",reason="${reason}"\\} 1\n`),
        );
      }
    }
    const logs = join(cell.infra.dataDir, "logs");
    const processorLog = (await readdir(logs)).find((f) => f.startsWith("processor-0"))!;
    const warnings = (await readFile(join(logs, processorLog), "utf8"))
      .split("\n")
      .filter((l) => l.includes('"event refused; dead-lettering it"') && l.includes('"level":"warn"'));
    expect(warnings.length).toBeGreaterThanOrEqual(6);

    // The pipeline still applies what the gateway really wrote.
    expect(
      (await call("POST", "/v1/payments", { amount: 500, currency: "EUR", payment_method: card() })).status,
    ).toBe(201);
    await eventually(
      "the next real capture in the balance",
      async () =>
        ((await settlements()) as { net?: number; gross?: number }[]).length >= 1 &&
        JSON.stringify(await balance()) !== JSON.stringify(balanceBefore),
    );
  }, 120_000);
});
