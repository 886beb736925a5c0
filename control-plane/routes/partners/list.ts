import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../app-env.ts";
import { listPartners, partnerView } from "../../partners/partner-registry.ts";
import { errorResponses } from "../../schemas/common.ts";
import { ListPartnersQuerySchema, PartnerListSchema } from "../../schemas/partner.ts";

export const listPartnersRoute = createRoute({
  method: "get",
  path: "/admin/v1/partners",
  tags: ["Partners"],
  summary: "List partners, newest first",
  description: "Cursor pagination: pass the last id you got as `starting_after` while `has_more` is true.",
  security: [{ bearer: [] }],
  request: { query: ListPartnersQuerySchema },
  responses: {
    200: {
      description: "A page of partners",
      content: { "application/json": { schema: PartnerListSchema } },
    },
    ...errorResponses,
  },
});

export function registerListPartners(app: OpenAPIHono<AppEnv>) {
  app.openapi(listPartnersRoute, async (c) => {
    const q = c.req.valid("query");
    const rows = await listPartners(c.get("deps").db, {
      limit: q.limit,
      startingAfter: q.starting_after,
      cellId: q.cell_id,
      status: q.status,
    });
    return c.json(
      {
        object: "list" as const,
        data: rows.slice(0, q.limit).map(partnerView),
        has_more: rows.length > q.limit,
      },
      200,
    );
  });
}
