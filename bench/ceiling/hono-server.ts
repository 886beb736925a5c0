// The bare-Hono ceiling: one route answering a small JSON object, nothing else, in its own
// process (like a gateway). `tsx bench/ceiling/hono-server.ts <port>`.
import { serve } from "@hono/node-server";
import { Hono } from "hono";

const app = new Hono();
app.get("/json", (c) => c.json({ object: "ping", ok: true, at: Date.now() }));
const port = Number(process.argv[2]);
serve({ fetch: app.fetch, port, hostname: "127.0.0.1" }, () => console.log(`listening ${port}`));
