// DELETE /internal/v1/partners/:id/keys/:keyId: revokes a key; the shared key cache forgets it.
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { partnerKeyParams, revokeKeyResponse } from "../../../../shared/cell-api/contract.ts";
import { revokeApiKey } from "../../../partners/provision.ts";
import type { AppEnv } from "../../app-env.ts";
import { internalErrors, internalRouteBase, json } from "./internal-route.ts";

export const revokeKeyRoute = createRoute({
  ...internalRouteBase,
  method: "delete",
  path: "/partners/{id}/keys/{keyId}",
  summary: "Revoke an API key",
  request: { params: partnerKeyParams },
  responses: { 200: json(revokeKeyResponse, "Whether a live key was revoked"), ...internalErrors },
});

export function registerRevokeKey(app: OpenAPIHono<AppEnv>) {
  app.openapi(revokeKeyRoute, async (c) => {
    const { id, keyId } = c.req.valid("param");
    const { db, redis } = c.get("deps");
    return c.json({ revoked: await revokeApiKey(db, id, keyId, redis) }, 200);
  });
}
