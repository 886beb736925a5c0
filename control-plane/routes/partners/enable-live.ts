import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../app-env.ts";
import { enablePartnerLive } from "../../partners/enable-live.ts";
import { IdParamSchema, writeErrorResponses } from "../../schemas/common.ts";
import { EnabledLiveSchema, EnableLiveBodySchema } from "../../schemas/partner.ts";

export const enablePartnerLiveRoute = createRoute({
  method: "post",
  path: "/admin/v1/partners/{id}/enable-live",
  tags: ["Partners"],
  summary: "Take a partner live: name its live connector and issue its first live key (returned once)",
  security: [{ bearer: [] }],
  request: {
    params: IdParamSchema,
    body: { required: true, content: { "application/json": { schema: EnableLiveBodySchema } } },
  },
  responses: {
    201: {
      description: "The first live key",
      content: { "application/json": { schema: EnabledLiveSchema } },
    },
    ...writeErrorResponses,
  },
});

export function registerEnablePartnerLive(app: OpenAPIHono<AppEnv>) {
  app.openapi(enablePartnerLiveRoute, async (c) => {
    const body = c.req.valid("json");
    const enabled = await enablePartnerLive(c.get("deps"), c.get("admin"), c.req.valid("param").id, {
      connector: body.connector,
    });
    return c.json(enabled, 201);
  });
}
