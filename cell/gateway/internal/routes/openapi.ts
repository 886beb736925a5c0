// GET /internal/v1/openapi.json: the internal API's contract, generated from the same schemas
// (shared/cell-api/contract.ts) that validate its requests and the control plane's answers.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../app-env.ts";

export function registerInternalOpenApi(app: OpenAPIHono<AppEnv>) {
  app.openAPIRegistry.registerComponent("securitySchemes", "cellAdmin", {
    type: "http",
    scheme: "bearer",
    description: "The control plane's cell-admin credential (CELLPAY_CELL_ADMIN_TOKEN).",
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    servers: [{ url: "/internal/v1" }],
    info: {
      title: "cellpay cell internal API",
      version: "1",
      description: "What the control plane asks of a cell. Served on the gateways' internal listener only.",
    },
  });
}
