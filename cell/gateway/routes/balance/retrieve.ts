import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { partnerPayableBalances } from "../../../db/queries/ledger.ts";
import type { AppEnv } from "../../app-env.ts";
import { BalanceSchema } from "../../schemas/balance.ts";
import { errorResponses, NoQuerySchema } from "../../schemas/common.ts";

export const retrieveBalanceRoute = createRoute({
  method: "get",
  path: "/v1/balance",
  tags: ["Balance"],
  summary: "Retrieve your balance",
  description:
    "What the platform owes you per currency, from the ledger: captures less fees less refunds. " +
    "It is written off the request path, so a capture shows here a moment after it succeeded.",
  security: [{ bearer: [] }],
  request: { query: NoQuerySchema },
  responses: {
    200: { description: "Your balance", content: { "application/json": { schema: BalanceSchema } } },
    ...errorResponses,
  },
});

export function registerRetrieveBalance(app: OpenAPIHono<AppEnv>) {
  app.openapi(retrieveBalanceRoute, async (c) => {
    const available = await partnerPayableBalances(c.get("deps").sql, c.get("partner").scope);
    return c.json({ object: "balance" as const, available }, 200);
  });
}
