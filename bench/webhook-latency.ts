// Commit → webhook delay through the real pipeline (gateway → outbox → relay → JetStream →
// processor → signed POST), on a running local platform (`npm start`). Measured, not asserted.
//   npx tsx bench/webhook-latency.ts [payments=200] [rate per s=20]
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const count = Number(process.argv[2] ?? 200);
const rate = Number(process.argv[3] ?? 20);
const router = "http://127.0.0.1:17001";
const { apiKey } = JSON.parse(readFileSync(".data/demo-partner.json", "utf8")) as { apiKey: string };
const headers = { authorization: `Bearer ${apiKey}`, "content-type": "application/json" };

const sentAt = new Map<string, number>();
const delays: number[] = [];
const server = createServer((req, res) => {
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    const event = JSON.parse(body) as { type: string; data: { id: string } };
    const t0 = sentAt.get(event.data.id);
    if (t0 !== undefined && event.type === "payment.captured") {
      delays.push(Date.now() - t0);
      sentAt.delete(event.data.id);
    }
    res.writeHead(200).end("ok");
  });
});
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
const endpoint = await fetch(`${router}/v1/webhook_endpoints`, {
  method: "POST",
  headers,
  body: JSON.stringify({ url, enabled_events: ["payment.captured"] }),
}).then((r) => r.json() as Promise<{ id: string }>);

for (let i = 0; i < count; i++) {
  const started = Date.now();
  const res = await fetch(`${router}/v1/payments`, {
    method: "POST",
    headers,
    body: JSON.stringify({
      amount: 1000 + i,
      currency: "EUR",
      payment_method: {
        type: "card",
        card: { number: "4242424242424242", exp_month: 12, exp_year: 2034, cvc: "123" },
      },
    }),
  });
  const p = (await res.json()) as { id: string };
  // The commit happened before the response: measure from when the response arrived.
  sentAt.set(p.id, Date.now());
  await new Promise((r) => setTimeout(r, Math.max(0, 1000 / rate - (Date.now() - started))));
}
const deadline = Date.now() + 30_000;
while (sentAt.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
await fetch(`${router}/v1/webhook_endpoints/${endpoint.id}`, { method: "DELETE", headers });
server.close();
delays.sort((a, b) => a - b);
const pct = (q: number) => delays[Math.min(delays.length - 1, Math.floor(q * delays.length))];
console.log(
  `commit → webhook over ${delays.length} payments at ${rate}/s: p50 ${pct(0.5)} ms, p90 ${pct(0.9)} ms, p99 ${pct(0.99)} ms, max ${delays.at(-1)} ms; missing ${sentAt.size}`,
);
