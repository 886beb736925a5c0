import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../app-env.ts";
import { onboardPartner } from "../../partners/onboard-partner.ts";
import { partnerView } from "../../partners/partner-registry.ts";
import { writeErrorResponses } from "../../schemas/common.ts";
import { CreatedPartnerSchema, CreatePartnerBodySchema } from "../../schemas/partner.ts";

export const createPartnerRoute = createRoute({
  method: "post",
  path: "/admin/v1/partners",
  tags: ["Partners"],
  summary: "Onboard a partner",
  description:
    "Places the partner in the named cell, or in the one the placement policy chooses (active, not down, least loaded for its weight), provisions it there and returns its first test key once.",
  security: [{ bearer: [] }],
  request: { body: { required: true, content: { "application/json": { schema: CreatePartnerBodySchema } } } },
  responses: {
    201: {
      description: "The partner, with its first key",
      content: { "application/json": { schema: CreatedPartnerSchema } },
    },
    ...writeErrorResponses,
  },
});

export function registerCreatePartner(app: OpenAPIHono<AppEnv>) {
  app.openapi(createPartnerRoute, async (c) => {
    const body = c.req.valid("json");
    const { row, apiKey } = await onboardPartner(c.get("deps"), c.get("admin"), {
      name: body.name,
      cellId: body.cell_id,
    });
    return c.json({ ...partnerView(row), api_key: apiKey }, 201);
  });
}
