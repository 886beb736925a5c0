// GET /internal/v1/partners/:id/checksums: count and md5 of every verified table of the partner.
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { checksumsResponse, partnerIdParams } from "../../../../shared/cell-api/contract.ts";
import { checksums } from "../../../partners/partner-copy.ts";
import type { AppEnv } from "../../app-env.ts";
import { internalErrors, internalRouteBase, json } from "./internal-route.ts";

export const checksumsRoute = createRoute({
  ...internalRouteBase,
  method: "get",
  path: "/partners/{id}/checksums",
  summary: "Counts and checksums of a partner's verified tables",
  request: { params: partnerIdParams },
  responses: { 200: json(checksumsResponse, "Per-table checksums"), ...internalErrors },
});

export function registerChecksums(app: OpenAPIHono<AppEnv>) {
  app.openapi(checksumsRoute, async (c) =>
    c.json({ tables: await checksums(c.get("deps").sql, c.req.valid("param").id) }, 200),
  );
}
