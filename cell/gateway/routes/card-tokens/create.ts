import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { validateCard } from "../../../vault/card-validation.ts";
import type { AppEnv } from "../../app-env.ts";
import { runIdempotently } from "../../idempotency.ts";
import { CardInputSchema, CardTokenSchema } from "../../schemas/card.ts";
import { IdempotencyHeaderSchema, NoQuerySchema, writeErrorResponses } from "../../schemas/common.ts";

export const createCardTokenRoute = createRoute({
  method: "post",
  path: "/v1/card_tokens",
  tags: ["Card tokens"],
  summary: "Vault a card and get a token to pay with later",
  description:
    "The card number is stored encrypted (AES-256-GCM, envelope keys); the CVC is checked and never stored.",
  security: [{ bearer: [] }],
  request: {
    query: NoQuerySchema,
    headers: IdempotencyHeaderSchema,
    body: {
      content: { "application/json": { schema: z.object({ card: CardInputSchema }).strict() } },
      required: true,
    },
  },
  responses: {
    201: { description: "The token", content: { "application/json": { schema: CardTokenSchema } } },
    ...writeErrorResponses,
  },
});

export function registerCreateCardToken(app: OpenAPIHono<AppEnv>) {
  app.openapi(createCardTokenRoute, async (c) => {
    const { card } = c.req.valid("json");
    const { vault, clock } = c.get("deps");
    const { scope } = c.get("partner");
    const valid = validateCard(card, clock(), "card");
    return runIdempotently(c, { card }, 201, async () => {
      const token = await vault.tokenize(scope, {
        ...valid,
        expMonth: card.exp_month,
        expYear: card.exp_year,
        holderName: card.holder_name,
      });
      const body = {
        id: token.id,
        object: "card_token" as const,
        livemode: token.livemode,
        card: {
          brand: token.brand,
          last4: token.last4,
          exp_month: token.expMonth,
          exp_year: token.expYear,
          fingerprint: token.fingerprint,
        },
        created: Math.floor(token.createdAt.getTime() / 1000),
      };
      return { body, keyFinished: false };
    });
  });
}
