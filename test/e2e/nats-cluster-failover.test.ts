// A cell whose NATS is a 3-node JetStream cluster with streams of 3 copies (cells.yaml
// `nats: { replicas: 3 }`). In the middle of a stream of payments the leader of the events stream
// is SIGKILLed; payments go on through the election. With no gateway, relay or processor
// restarted: every acknowledged payment is readable and exists once, every outbox event is in the
// stream once and applied once per consumer, the books match the acknowledged payments to the
// cent, another node leads the stream, and the killed node rejoins as a current replica.
import type { NatsConnection, StreamInfo } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_FEE_BPS, feeFor } from "../../cell/events/processors/ledger.ts";
import { deadLetterStream, eventsStream } from "../../cell/events/streams.ts";
import type { ManagedProcess } from "../../platform/managed-process.ts";
import { count, type EventsCell, eventually, startEventsCell } from "../events-cell.ts";
import { card, client } from "../harness.ts";

const CELL = "cell-nats-ha";
const STREAM = eventsStream(CELL);
const CONSUMERS = ["ledger", "settlement", "webhooks"];
const LEDGER_TYPES = ["payment.captured", "refund.succeeded"];
let cell: EventsCell;
let relay: ManagedProcess;
let processor: ManagedProcess;

beforeAll(async () => {
  cell = await startEventsCell({
    cellId: CELL,
    natsReplicas: 3,
    // Redeliveries after 3 s, retries from 100 ms: a message lost with the leader comes back soon.
    workerEnv: { PROCESSOR_ACK_WAIT_MS: "3000", PROCESSOR_RETRY_BASE_MS: "100" },
  });
  relay = await cell.worker("relay");
  processor = await cell.worker("processor");
}, 180_000);
afterAll(async () => {
  await cell?.stop();
});

/** Stream info through whichever node answers; undefined while the cluster cannot say. */
async function streamInfo(nc: NatsConnection, name = STREAM): Promise<StreamInfo | undefined> {
  try {
    return await (await nc.jetstreamManager({ timeout: 2_000 })).streams.info(name);
  } catch {
    return undefined;
  }
}

interface Acked {
  id: string;
  amount: number;
  currency: string;
  status: string;
}

describe("NATS cluster: the events stream's leader killed under load", () => {
  it("leader SIGKILLed mid-stream: every 201 readable once, every event published and applied once, books to the cent, new leader, node rejoins", async () => {
    const { nc, sql } = cell;
    const { partnerId, apiKey } = await cell.partner("NatsHa");
    const call = client(cell.gatewayUrl, apiKey);

    const before = await streamInfo(nc);
    expect(before?.config.num_replicas).toBe(3);
    const killed = before?.cluster?.leader;
    expect(killed).toBeDefined();
    const leaderNode = cell.infra.natsCluster!.node(killed!)!;
    expect(leaderNode.process.running).toBe(true);

    // Payments from 3 clients in parallel, each with its own idempotency key; a 503 is retried
    // with the same key until it converges, anything else but a 201 fails the test. Each client
    // pauses between payments: the election takes seconds, and unpaced clients would make
    // thousands of payments in them, all to be read back below.
    const acked = new Map<string, Acked>();
    const counts = { unavailable: 0, afterKill: 0, afterElection: 0 };
    let next = 0;
    let killedAt: number | undefined;
    let stop = false;
    let newLeader = "";
    let electedMs = 0;
    const ledAlso: string[] = [];
    const pay = async (i: number) => {
      const key = `ha-${i}`;
      const body = {
        amount: 1000 + i * 37,
        currency: i % 5 === 0 ? "JPY" : "EUR",
        payment_method: card(i % 9 === 8 ? "4000000000000002" : undefined), // some declines
      };
      const deadline = Date.now() + 60_000;
      for (;;) {
        const res = await call("POST", "/v1/payments", body, { "idempotency-key": key });
        if (res.status === 201) {
          const b = res.body as unknown as Acked;
          acked.set(key, { id: b.id, amount: b.amount, currency: b.currency, status: b.status });
          if (killedAt !== undefined) counts.afterKill++;
          if (newLeader !== "") counts.afterElection++;
          return;
        }
        if (res.status !== 503 || res.body.error?.code !== "service_unavailable" || Date.now() > deadline) {
          throw new Error(`payment ${key}: ${res.status} ${JSON.stringify(res.body)}`);
        }
        counts.unavailable++;
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const load = Promise.all(
      Array.from({ length: 3 }, async () => {
        while (!stop) {
          await pay(next++);
          await new Promise((r) => setTimeout(r, 40));
        }
      }),
    );
    // A payment that failed ends the waits below at once, with its own error.
    let loadError: unknown;
    load.catch((err: unknown) => {
      loadError = err;
      stop = true;
    });
    const whileLoading = (what: string, done: () => Promise<boolean>) =>
      eventually(
        what,
        async () => {
          if (loadError !== undefined) throw loadError;
          return done();
        },
        60_000,
      );
    try {
      await whileLoading("40 payments acknowledged", async () => acked.size >= 40);
      // Events in flight: the relay has published some and is publishing more.
      const published = await count(sql`select count(*) as n from events where published_at is not null`);
      expect(published).toBeGreaterThan(0);
      // Measured, not asserted: the consumers whose leader dies too (their pulls die with it).
      const jsm = await nc.jetstreamManager({ timeout: 2_000 });
      for (const consumer of CONSUMERS) {
        if ((await jsm.consumers.info(STREAM, consumer)).cluster?.leader === killed) ledAlso.push(consumer);
      }
      leaderNode.process.signal("SIGKILL");
      await leaderNode.process.exited;
      killedAt = Date.now();

      await whileLoading("another node to lead the stream", async () => {
        const leader = (await streamInfo(nc))?.cluster?.leader;
        if (leader === undefined || leader === killed) return false;
        electedMs = Date.now() - killedAt!;
        newLeader = leader;
        return true;
      });
      await whileLoading(
        "40 more payments acknowledged once it leads",
        async () => counts.afterElection >= 40,
      );
    } finally {
      stop = true;
      await load;
    }
    const loadMs = Date.now() - killedAt!;

    // Every event in the outbox published, and every consumer caught up (nothing pending or unacked).
    await eventually(
      "the relay and the consumers caught up",
      async () => {
        if ((await count(sql`select count(*) as n from events where published_at is null`)) > 0) return false;
        for (const consumer of ["ledger", "settlement"]) {
          const missing =
            await count(sql`select count(*) as n from events e where e.type = any(${LEDGER_TYPES})
            and not exists (select 1 from processed_events p where p.consumer = ${consumer} and p.event_id = e.id)`);
          if (missing > 0) return false;
        }
        try {
          const jsm = await nc.jetstreamManager({ timeout: 2_000 });
          for (const consumer of CONSUMERS) {
            const info = await jsm.consumers.info(STREAM, consumer);
            if (info.num_pending > 0 || info.num_ack_pending > 0) return false;
          }
          return true;
        } catch {
          return false;
        }
      },
      60_000,
    );

    // No gateway, relay or processor was restarted: the processes started in beforeAll still run.
    expect([cell.gateway.running, relay.running, processor.running]).toEqual([true, true, true]);

    // Every acknowledged payment reads back as acknowledged; the partner has no other payment.
    const ids = [...acked.values()].map((a) => a.id);
    expect(new Set(ids).size).toBe(acked.size);
    for (const a of acked.values()) {
      const read = await call("GET", `/v1/payments/${a.id}`);
      expect(read.status).toBe(200);
      expect({ id: read.body.id, amount: read.body.amount, status: read.body.status }).toEqual({
        id: a.id,
        amount: a.amount,
        status: a.status,
      });
    }
    const stored = await sql<{ id: string }[]>`select id from payments where partner_id = ${partnerId}`;
    expect(stored.map((r) => r.id).sort()).toEqual([...ids].sort());

    // The stream holds each outbox event exactly once (the relay's retries were deduplicated).
    const info = (await streamInfo(nc))!;
    const inStream: string[] = [];
    const jsm = await nc.jetstreamManager({ timeout: 5_000 });
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(STREAM, { seq });
      inStream.push((JSON.parse(new TextDecoder().decode(m.data)) as { id: string }).id);
    }
    const outbox = (await sql<{ id: string }[]>`select id from events order by id`).map((r) => r.id);
    expect(inStream.length).toBe(outbox.length);
    expect([...inStream].sort()).toEqual(outbox);
    expect((await streamInfo(nc, deadLetterStream(CELL)))?.state.messages).toBe(0);

    // Applied once per consumer: one processed row per (consumer, event), three ledger lines per
    // captured payment, and the settlements sum to exactly what the 201s said.
    const captures = [...acked.values()].filter((a) => a.status === "succeeded");
    expect(captures.length).toBeGreaterThan(0);
    expect(captures.length).toBeLessThan(acked.size); // the declines are in the mix
    for (const consumer of ["ledger", "settlement"]) {
      expect(await count(sql`select count(*) as n from processed_events where consumer = ${consumer}`)).toBe(
        captures.length,
      );
    }
    const lines = await sql<{ object_id: string; lines: number; clearing: string }[]>`
      select object_id, count(*)::int as lines,
        sum(amount) filter (where account = 'acquirer_clearing')::text as clearing
      from ledger_entries where partner_id = ${partnerId} group by object_id`;
    expect(new Map(lines.map((l) => [l.object_id, [l.lines, Number(l.clearing)]]))).toEqual(
      new Map(captures.map((c) => [c.id, [3, c.amount]])),
    );
    const settlements = (await call("GET", "/v1/settlements?limit=100")).body.data as Record<
      string,
      number | string
    >[];
    for (const currency of ["EUR", "JPY"]) {
      const mine = captures.filter((c) => c.currency === currency);
      const gross = mine.reduce((n, c) => n + c.amount, 0);
      const fee = mine.reduce((n, c) => n + feeFor(c.amount, DEFAULT_FEE_BPS), 0);
      const batches = settlements.filter((s) => s.currency === currency);
      const sum = (field: string) => batches.reduce((n, s) => n + Number(s[field]), 0);
      expect({ gross: sum("gross_amount"), fee: sum("fee_amount"), net: sum("net_amount") }).toEqual({
        gross,
        fee,
        net: gross - fee,
      });
      expect(sum("payment_count")).toBe(mine.length);
    }

    // The killed node comes back on its store and rejoins: three current copies again.
    await cell.infra.natsCluster!.restart(killed!);
    await eventually(
      "the killed node to be a current replica again",
      async () => {
        const now = await streamInfo(nc);
        const peers = now?.cluster?.replicas ?? [];
        return (
          now?.cluster?.leader !== undefined &&
          peers.length === 2 &&
          peers.every((p) => p.current && !p.offline) &&
          [now.cluster.leader, ...peers.map((p) => p.name)].includes(killed!)
        );
      },
      60_000,
    );
    console.log(
      `nats cluster failover: ${acked.size} payments (${counts.afterKill} after the kill), ` +
        `${counts.unavailable} answered 503 and retried, ${outbox.length} events; ` +
        `leader ${killed} killed (also leading consumers: ${ledAlso.join(", ") || "none"}), ${newLeader} seen leading ${electedMs} ms later; load ran ${loadMs} ms past the kill`,
    );
  }, 240_000);
});
