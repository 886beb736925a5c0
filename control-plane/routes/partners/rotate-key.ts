import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../app-env.ts";
import { rotatePartnerKey } from "../../partners/partner-keys.ts";
import { IdParamSchema, writeErrorResponses } from "../../schemas/common.ts";
import { RotatedKeySchema, RotateKeyBodySchema } from "../../schemas/partner.ts";

export const rotatePartnerKeyRoute = createRoute({
  method: "post",
  path: "/admin/v1/partners/{id}/keys",
  tags: ["Partners"],
  summary: "Issue a new key (returned once), optionally revoking an old one",
  security: [{ bearer: [] }],
  request: {
    params: IdParamSchema,
    body: { required: false, content: { "application/json": { schema: RotateKeyBodySchema } } },
  },
  responses: {
    201: { description: "The new key", content: { "application/json": { schema: RotatedKeySchema } } },
    ...writeErrorResponses,
  },
});

export function registerRotatePartnerKey(app: OpenAPIHono<AppEnv>) {
  app.openapi(rotatePartnerKeyRoute, async (c) => {
    const body = c.req.valid("json") ?? { mode: "test" as const };
    const rotated = await rotatePartnerKey(c.get("deps"), c.get("admin"), c.req.valid("param").id, {
      mode: body.mode,
      revokeKeyId: body.revoke_key_id,
    });
    return c.json(rotated, 201);
  });
}
