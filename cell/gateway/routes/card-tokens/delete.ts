import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { ApiError } from "../../../../shared/errors.ts";
import { deleteCardToken } from "../../../vault/delete-card-token.ts";
import type { AppEnv } from "../../app-env.ts";
import { DeletedCardTokenSchema } from "../../schemas/card.ts";
import { errorResponses, IdParamsSchema, NoQuerySchema } from "../../schemas/common.ts";

export const deleteCardTokenRoute = createRoute({
  method: "delete",
  path: "/v1/card_tokens/{id}",
  tags: ["Card tokens"],
  summary: "Delete a vaulted card",
  description:
    "The encrypted card is destroyed and the token can no longer be paid with (400 token_not_found). " +
    "Emits `card_token.deleted`. Payments made with it keep brand, last4 and fingerprint.",
  security: [{ bearer: [] }],
  request: { query: NoQuerySchema, params: IdParamsSchema },
  responses: {
    200: {
      description: "The deleted token",
      content: { "application/json": { schema: DeletedCardTokenSchema } },
    },
    ...errorResponses,
  },
});

export function registerDeleteCardToken(app: OpenAPIHono<AppEnv>) {
  app.openapi(deleteCardTokenRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { sql, outboxWaker } = c.get("deps");
    const deleted = await deleteCardToken(sql, c.get("partner").scope, id, c.get("traceparent"));
    if (deleted) outboxWaker.wake();
    // The id is not echoed: a mistyped path could hold anything, a card number included.
    if (!deleted) throw new ApiError("resource_not_found", "No such card token.", { param: "id" });
    return c.json(deleted, 200);
  });
}
