import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../app-env.ts";
import { partnerView } from "../../partners/partner-registry.ts";
import { setPartnerLimits } from "../../partners/set-partner-limits.ts";
import { IdParamSchema, writeErrorResponses } from "../../schemas/common.ts";
import { PartnerSchema, SetLimitsBodySchema } from "../../schemas/partner.ts";

export const setPartnerLimitsRoute = createRoute({
  method: "put",
  path: "/admin/v1/partners/{id}/limits",
  tags: ["Partners"],
  summary: "Set a partner's rate limit and concurrency (stored here, enforced by its cell)",
  security: [{ bearer: [] }],
  request: {
    params: IdParamSchema,
    body: { required: true, content: { "application/json": { schema: SetLimitsBodySchema } } },
  },
  responses: {
    200: { description: "The partner", content: { "application/json": { schema: PartnerSchema } } },
    ...writeErrorResponses,
  },
});

export function registerSetPartnerLimits(app: OpenAPIHono<AppEnv>) {
  app.openapi(setPartnerLimitsRoute, async (c) => {
    const body = c.req.valid("json");
    const limits = {
      ...(body.rate_limit !== undefined ? { rate_limit: body.rate_limit } : {}),
      ...(body.max_concurrency !== undefined ? { max_concurrency: body.max_concurrency } : {}),
    };
    const row = await setPartnerLimits(c.get("deps"), c.get("admin"), c.req.valid("param").id, limits);
    return c.json(partnerView(row), 200);
  });
}
