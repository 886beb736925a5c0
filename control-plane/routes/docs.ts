// GET /admin/v1/openapi.json, generated from the same zod schemas that validate admin requests.
import type { OpenAPIHono } from "@hono/zod-openapi";
import { errorCodes, statusOf } from "../../shared/errors.ts";
import type { AppEnv } from "../app-env.ts";

export function registerDocs(app: OpenAPIHono<AppEnv>) {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "An admin token: `Authorization: Bearer adm_…`. Partner keys are not accepted.",
  });
  const codes = errorCodes.map((code) => `| ${code} | ${statusOf(code)} |`).join("\n");
  app.doc31("/admin/v1/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "cellpay admin API",
      version: "1.0.0",
      description: [
        "The control plane: partners, cells, the routing table and the audit log. Every change is audited.",
        "Errors have the shape `{ error: { type, code, message, param?, request_id } }`; lists use `limit`, `starting_after`, `has_more`.",
        `\n### Error codes\n| code | HTTP status |\n|---|---|\n${codes}`,
      ].join("\n"),
    },
  });
}
