// POST /internal/v1/partners/:id/keys: a new key beside the existing ones (shown once).
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { issueKeyRequest, issueKeyResponse, partnerIdParams } from "../../../../shared/cell-api/contract.ts";
import { notFound } from "../../../../shared/errors.ts";
import { findPartner } from "../../../partners/partner-admin.ts";
import { issueApiKey } from "../../../partners/provision.ts";
import type { AppEnv } from "../../app-env.ts";
import { internalErrors, internalRouteBase, json, jsonBody } from "./internal-route.ts";

export const issueKeyRoute = createRoute({
  ...internalRouteBase,
  method: "post",
  path: "/partners/{id}/keys",
  summary: "Issue a new API key",
  request: { params: partnerIdParams, ...jsonBody(issueKeyRequest) },
  responses: { 201: json(issueKeyResponse, "The key, shown once"), ...internalErrors },
});

export function registerIssueKey(app: OpenAPIHono<AppEnv>) {
  app.openapi(issueKeyRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { sql, db } = c.get("deps");
    if (!(await findPartner(sql, id))) throw notFound("partner", id);
    const key = await issueApiKey(db, id, c.req.valid("json").mode);
    return c.json({ key_id: key.id, api_key: key.apiKey }, 201);
  });
}
