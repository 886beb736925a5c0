// GET /internal/v1/partners/:id/keys: the partner's keys (hints only, never a secret).
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { listKeysResponse, partnerIdParams } from "../../../../shared/cell-api/contract.ts";
import { listKeys } from "../../../partners/partner-admin.ts";
import type { AppEnv } from "../../app-env.ts";
import { internalErrors, internalRouteBase, json } from "./internal-route.ts";

export const listKeysRoute = createRoute({
  ...internalRouteBase,
  method: "get",
  path: "/partners/{id}/keys",
  summary: "A partner's API keys",
  request: { params: partnerIdParams },
  responses: { 200: json(listKeysResponse, "The keys"), ...internalErrors },
});

export function registerListKeys(app: OpenAPIHono<AppEnv>) {
  app.openapi(listKeysRoute, async (c) =>
    c.json({ data: await listKeys(c.get("deps").sql, c.req.valid("param").id) }, 200),
  );
}
