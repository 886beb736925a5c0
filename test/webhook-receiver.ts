// Test helpers for webhooks: a real local HTTP receiver (node:http on a free port) whose answer
// can be scripted per request, and an outbox pump that feeds the "webhooks" handler straight from
// the events table, standing in for the relay + JetStream path (covered by that path's own tests).
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Sql } from "../cell/db/client.ts";
import type { EventHandler, ProcessorDeps } from "../cell/events/processors/event-handler.ts";

export interface ReceivedWebhook {
  at: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A status code to answer, or "hang" to never answer. */
export type Answer = number | "hang";

export interface Receiver {
  url: string;
  requests: ReceivedWebhook[];
  /** Requests being held open right now ("hang"). */
  open(): number;
  answer: (n: number, req: ReceivedWebhook) => Answer;
  close(): Promise<void>;
}

export async function startReceiver(answer: (n: number, req: ReceivedWebhook) => Answer): Promise<Receiver> {
  const hanging = new Set<ServerResponse>();
  const receiver: Receiver = {
    url: "",
    requests: [],
    open: () => hanging.size,
    answer,
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const got = { at: Date.now(), headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      receiver.requests.push(got);
      const a = receiver.answer(receiver.requests.length, got);
      if (a === "hang") {
        hanging.add(res);
        res.on("close", () => hanging.delete(res));
        return;
      }
      res.writeHead(a, { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return receiver;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Feeds unpublished outbox events to `handler` and marks them published (no relay runs here). */
export function startOutboxPump(deps: ProcessorDeps, handler: EventHandler) {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const rows = await deps.sql<
        { id: string; partner_id: string; livemode: boolean; type: string; data: unknown; created_at: Date }[]
      >`
        select id, partner_id, livemode, type, data, created_at from events where published_at is null order by id limit 500`;
      const events = rows.map((r) => ({
        id: r.id,
        type: r.type,
        partner_id: r.partner_id,
        livemode: r.livemode,
        cell_id: deps.cellId,
        created: Math.floor(r.created_at.getTime() / 1000),
        data: r.data,
      }));
      if (handler.handleBatch) {
        // In batches, like the real consumer runner (PROCESSOR_MAX_BATCH).
        for (let i = 0; i < events.length; i += 256) await handler.handleBatch(events.slice(i, i + 256));
      } else {
        // 16 at a time, like the runner one by one (PROCESSOR_CONCURRENCY); the handler is idempotent.
        for (let i = 0; i < events.length; i += 16) {
          await Promise.all(events.slice(i, i + 16).map((e) => handler.handle(e)));
        }
      }
      if (rows.length > 0) {
        await deps.sql`update events set published_at = now() where id = any(${rows.map((r) => r.id)}::text[])`;
      } else await sleep(20);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** ms from each received webhook's event row created_at to its arrival at the receiver. */
export async function latencyOf(sql: Sql, requests: ReceivedWebhook[]): Promise<number[]> {
  const ids = requests.map((r) => String(r.headers["cellpay-event-id"]));
  const rows = await sql<{ id: string; created_at: Date }[]>`
    select id, created_at from events where id = any(${ids}::text[])`;
  const created = new Map(rows.map((r) => [r.id, r.created_at.getTime()]));
  return requests.map((r) => r.at - created.get(String(r.headers["cellpay-event-id"]))!);
}
