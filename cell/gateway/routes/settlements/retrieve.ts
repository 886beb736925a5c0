import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { notFound } from "../../../../shared/errors.ts";
import { findSettlement } from "../../../db/queries/settlements.ts";
import type { AppEnv } from "../../app-env.ts";
import { errorResponses, IdParamsSchema, NoQuerySchema } from "../../schemas/common.ts";
import { SettlementSchema } from "../../schemas/settlement.ts";
import { settlementView } from "./list.ts";

export const retrieveSettlementRoute = createRoute({
  method: "get",
  path: "/v1/settlements/{id}",
  tags: ["Settlements"],
  summary: "Retrieve a settlement with its payments and refunds",
  security: [{ bearer: [] }],
  request: { query: NoQuerySchema, params: IdParamsSchema },
  responses: {
    200: { description: "The settlement", content: { "application/json": { schema: SettlementSchema } } },
    ...errorResponses,
  },
});

export function registerRetrieveSettlement(app: OpenAPIHono<AppEnv>) {
  app.openapi(retrieveSettlementRoute, async (c) => {
    const { id } = c.req.valid("param");
    const found = await findSettlement(c.get("deps").sql, c.get("partner").scope, id);
    if (!found) throw notFound("settlement", id);
    return c.json(settlementView(found.settlement, found.items), 200);
  });
}
