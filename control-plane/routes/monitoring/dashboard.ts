// The operators' pages: GET /dashboard (every cell, routers, top partners, moves, alerts) and
// GET /dashboard/partners/:id, plus uPlot's files served from node_modules (no CDN). The pages are
// static HTML whose script polls the live API (live-api.ts) every few seconds.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../app-env.ts";
import { dashboardAuth } from "./dashboard-auth.ts";
import { registerDashboardLogin } from "./dashboard-login.ts";

const require = createRequire(import.meta.url);
const uplotDir = require.resolve("uplot/dist/uPlot.iife.min.js").replace(/uPlot\.iife\.min\.js$/, "");
const pageDir = fileURLToPath(new URL("../../monitoring/", import.meta.url));

const cache = new Map<string, string>();
async function file(path: string): Promise<string> {
  let text = cache.get(path);
  if (text === undefined) {
    text = await readFile(path, "utf8");
    cache.set(path, text);
  }
  return text;
}

const html = { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" };

export function registerDashboard(app: OpenAPIHono<AppEnv>) {
  app.use("/dashboard", dashboardAuth());
  app.use("/dashboard/*", dashboardAuth());
  registerDashboardLogin(app);
  app.get("/dashboard", async (c) => c.body(await file(`${pageDir}dashboard.html`), 200, html));
  app.get("/dashboard/partners/:id", async (c) => c.body(await file(`${pageDir}partner.html`), 200, html));
  app.get("/dashboard/assets/uplot.js", async (c) =>
    c.body(await file(`${uplotDir}uPlot.iife.min.js`), 200, {
      "content-type": "text/javascript; charset=utf-8",
      "cache-control": "max-age=3600",
    }),
  );
  app.get("/dashboard/assets/uplot.css", async (c) =>
    c.body(await file(`${uplotDir}uPlot.min.css`), 200, {
      "content-type": "text/css; charset=utf-8",
      "cache-control": "max-age=3600",
    }),
  );
}
