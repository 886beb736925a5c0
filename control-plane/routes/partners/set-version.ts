import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../app-env.ts";
import { partnerView } from "../../partners/partner-registry.ts";
import { setPartnerVersion } from "../../partners/set-partner-version.ts";
import { IdParamSchema, writeErrorResponses } from "../../schemas/common.ts";
import { PartnerSchema, SetApiVersionBodySchema } from "../../schemas/partner.ts";

export const setPartnerVersionRoute = createRoute({
  method: "put",
  path: "/admin/v1/partners/{id}/api-version",
  tags: ["Partners"],
  summary: "Pin a partner to a dated API version (stored here, pushed to its cell)",
  description:
    "The partner's answers are rendered in this version from then on (a request may still send Cellpay-Version). Its webhook endpoints keep their own api_version.",
  security: [{ bearer: [] }],
  request: {
    params: IdParamSchema,
    body: { required: true, content: { "application/json": { schema: SetApiVersionBodySchema } } },
  },
  responses: {
    200: { description: "The partner", content: { "application/json": { schema: PartnerSchema } } },
    ...writeErrorResponses,
  },
});

export function registerSetPartnerVersion(app: OpenAPIHono<AppEnv>) {
  app.openapi(setPartnerVersionRoute, async (c) => {
    const { api_version } = c.req.valid("json");
    const row = await setPartnerVersion(c.get("deps"), c.get("admin"), c.req.valid("param").id, api_version);
    return c.json(partnerView(row), 200);
  });
}
