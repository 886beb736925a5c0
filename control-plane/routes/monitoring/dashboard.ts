// The operators' pages: GET /dashboard (every cell, routers, top partners, moves, alerts) and
// GET /dashboard/partners/:id, plus uPlot's files served from node_modules (no CDN). The pages are
// static HTML whose script polls the live API (live-api.ts) every few seconds.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { assetSecurityHeaders, pageSecurityHeaders } from "../../../shared/page-security-headers.ts";
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
// CSP (the page's own inline blocks by hash, uPlot from 'self'), no framing, no sniffing, no Referer.
const page = (c: Context, text: string) => c.body(text, 200, { ...html, ...pageSecurityHeaders(text) });

export function registerDashboard(app: OpenAPIHono<AppEnv>) {
  app.use("/dashboard", dashboardAuth());
  app.use("/dashboard/*", dashboardAuth());
  registerDashboardLogin(app);
  app.get("/dashboard", async (c) => page(c, await file(`${pageDir}dashboard.html`)));
  app.get("/dashboard/partners/:id", async (c) => page(c, await file(`${pageDir}partner.html`)));
  app.get("/dashboard/assets/uplot.js", async (c) =>
    c.body(await file(`${uplotDir}uPlot.iife.min.js`), 200, {
      "content-type": "text/javascript; charset=utf-8",
      "cache-control": "max-age=3600",
      ...assetSecurityHeaders,
    }),
  );
  app.get("/dashboard/assets/uplot.css", async (c) =>
    c.body(await file(`${uplotDir}uPlot.min.css`), 200, {
      "content-type": "text/css; charset=utf-8",
      "cache-control": "max-age=3600",
      ...assetSecurityHeaders,
    }),
  );
}
