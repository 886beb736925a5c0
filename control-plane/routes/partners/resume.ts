import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../app-env.ts";
import { partnerView } from "../../partners/partner-registry.ts";
import { setPartnerStatus } from "../../partners/set-partner-status.ts";
import { IdParamSchema, ReasonBodySchema, writeErrorResponses } from "../../schemas/common.ts";
import { PartnerSchema } from "../../schemas/partner.ts";

export const resumePartnerRoute = createRoute({
  method: "post",
  path: "/admin/v1/partners/{id}/resume",
  tags: ["Partners"],
  summary: "Resume a suspended partner",
  description: "Changes the partner in its cell and publishes a routing-table version. Idempotent.",
  security: [{ bearer: [] }],
  request: {
    params: IdParamSchema,
    body: { required: false, content: { "application/json": { schema: ReasonBodySchema } } },
  },
  responses: {
    200: { description: "The partner", content: { "application/json": { schema: PartnerSchema } } },
    ...writeErrorResponses,
  },
});

export function registerResumePartner(app: OpenAPIHono<AppEnv>) {
  app.openapi(resumePartnerRoute, async (c) => {
    const row = await setPartnerStatus(c.get("deps"), c.get("admin"), c.req.valid("param").id, "active");
    return c.json(partnerView(row), 200);
  });
}
