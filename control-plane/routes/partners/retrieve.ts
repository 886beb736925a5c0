import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../app-env.ts";
import { cellView, getCellOr404, partnerCountOf } from "../../cells/cell-registry.ts";
import { getPartnerOr404, partnerView } from "../../partners/partner-registry.ts";
import { errorResponses, IdParamSchema } from "../../schemas/common.ts";
import { PartnerDetailSchema } from "../../schemas/partner.ts";

export const retrievePartnerRoute = createRoute({
  method: "get",
  path: "/admin/v1/partners/{id}",
  tags: ["Partners"],
  summary: "Retrieve a partner with its cell and traffic",
  description: "`traffic` comes from the partner's cell; it is null when the cell does not answer.",
  security: [{ bearer: [] }],
  request: { params: IdParamSchema },
  responses: {
    200: { description: "The partner", content: { "application/json": { schema: PartnerDetailSchema } } },
    ...errorResponses,
  },
});

const TRAFFIC_TIMEOUT_MS = 2000;

export function registerRetrievePartner(app: OpenAPIHono<AppEnv>) {
  app.openapi(retrievePartnerRoute, async (c) => {
    const { db, cellClients } = c.get("deps");
    const id = c.req.valid("param").id;
    const partner = await getPartnerOr404(db, id);
    const cell = await getCellOr404(db, partner.cellId);
    const traffic = await cellClients
      .forCell(cell)
      .traffic(id, TRAFFIC_TIMEOUT_MS)
      .catch((err: unknown) => {
        c.get("log").warn({ cell_id: cell.id, err: (err as Error).message }, "partner traffic unavailable");
        return null;
      });
    const view = cellView(cell, await partnerCountOf(db, cell.id));
    return c.json({ ...partnerView(partner), cell: view, traffic }, 200);
  });
}
