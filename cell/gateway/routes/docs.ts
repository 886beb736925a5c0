// GET /v1/openapi.json (generated from the same zod schemas that validate requests) and /docs,
// a self-contained page that renders it: no CDN, so it works on a closed network too.
import type { OpenAPIHono } from "@hono/zod-openapi";
import { errorCodes, statusOf } from "../../../shared/errors.ts";
import { pageSecurityHeaders } from "../../../shared/page-security-headers.ts";
import { simulatorTestCards } from "../../acquirer/simulator.ts";
import { registerVersionRoutes } from "../../api-versions/routes.ts";
import type { VersionChain } from "../../api-versions/version-chain.ts";
import type { AppEnv } from "../app-env.ts";
import { docsPage } from "./docs-page.ts";

export function registerDocs(app: OpenAPIHono<AppEnv>, versions: VersionChain) {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "Your secret key: `Authorization: Bearer sk_test_…` (test) or `sk_live_…` (live).",
  });
  const cards = simulatorTestCards.map((c) => `| ${c.number} | ${c.brand} | ${c.description} |`).join("\n");
  const codes = errorCodes.map((code) => `| ${code} | ${statusOf(code)} |`).join("\n");
  // GET /v1/openapi.json?version=… and the changelog (cell/api-versions/routes.ts).
  registerVersionRoutes(app, versions, {
    openapi: "3.1.0",
    info: {
      title: "cellpay API",
      version: "1.0.0",
      description: [
        "Payments for partners: authorize, capture, cancel, refund, vaulted cards. JSON bodies; amounts are integers in the currency's minor unit.",
        "Every POST takes an `Idempotency-Key` header (kept 24 h): a retry with the same key and body replays the first answer.",
        "Errors always have the shape `{ error: { type, code, message, param?, request_id } }`.",
        "Versions: your account is pinned to a dated API version; `Cellpay-Version: <date>` overrides it for one request, every answer names the version in `Cellpay-Version`, and `GET /v1/versions` is the changelog. `?version=<date>` gives this document for another version.",
        `\n### Test cards (simulator acquirer)\n| number | brand | outcome |\n|---|---|---|\n${cards}`,
        `\n### Error codes\n| code | HTTP status |\n|---|---|\n${codes}`,
      ].join("\n"),
    },
  });
  // The page is static: its policy (hashes of its inline script and style) is computed once.
  const page = docsPage("/v1/openapi.json");
  const headers = pageSecurityHeaders(page);
  app.get("/docs", (c) => c.html(page, 200, headers));
}
