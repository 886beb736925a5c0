import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../app-env.ts";
import { listPartnerKeys } from "../../partners/partner-keys.ts";
import { IdParamSchema, writeErrorResponses } from "../../schemas/common.ts";
import { KeyListSchema } from "../../schemas/partner.ts";

export const listPartnerKeysRoute = createRoute({
  method: "get",
  path: "/admin/v1/partners/{id}/keys",
  tags: ["Partners"],
  summary: "List a partner's keys (hints only; secrets are never shown again)",
  security: [{ bearer: [] }],
  request: { params: IdParamSchema },
  responses: {
    200: { description: "The keys", content: { "application/json": { schema: KeyListSchema } } },
    ...writeErrorResponses,
  },
});

export function registerListPartnerKeys(app: OpenAPIHono<AppEnv>) {
  app.openapi(listPartnerKeysRoute, async (c) => {
    const keys = await listPartnerKeys(c.get("deps"), c.req.valid("param").id);
    return c.json({ object: "list" as const, data: keys.data }, 200);
  });
}
