import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { refuseIfCardTesting } from "../../../payments/card-testing-guard.ts";
import { resolveChargeCard } from "../../../payments/charge-card.ts";
import { createPayment } from "../../../payments/create-payment.ts";
import type { AppEnv } from "../../app-env.ts";
import { runIdempotently } from "../../idempotency.ts";
import { paymentDepsOf } from "../../payment-deps-of.ts";
import { IdempotencyHeaderSchema, NoQuerySchema, writeErrorResponses } from "../../schemas/common.ts";
import { CreatePaymentSchema, PaymentSchema } from "../../schemas/payment.ts";

export const createPaymentRoute = createRoute({
  method: "post",
  path: "/v1/payments",
  tags: ["Payments"],
  summary: "Create a payment",
  description:
    "Authorizes a card (and captures it at once with capture_method automatic). A decline is a 201 payment with status `failed` and a `failure` object.",
  security: [{ bearer: [] }],
  request: {
    query: NoQuerySchema,
    headers: IdempotencyHeaderSchema,
    body: { content: { "application/json": { schema: CreatePaymentSchema } }, required: true },
  },
  responses: {
    201: { description: "The payment", content: { "application/json": { schema: PaymentSchema } } },
    ...writeErrorResponses,
  },
});

export function registerCreatePayment(app: OpenAPIHono<AppEnv>) {
  app.openapi(createPaymentRoute, async (c) => {
    const input = c.req.valid("json");
    const deps = paymentDepsOf(c);
    const { scope } = c.get("partner");
    // Card checks come first: a refused card leaves no row and no idempotency key behind.
    await refuseIfCardTesting(deps, scope);
    const card = await resolveChargeCard(deps, scope, input.payment_method);
    return runIdempotently(
      c,
      input,
      201,
      async (idem) => {
        const result = await createPayment(
          deps,
          scope,
          input,
          card,
          idem && { ...idem, responseStatus: 201 },
        );
        return { body: result.payment, keyFinished: result.keyFinished };
      },
      { claimsInFirstWrite: true },
    );
  });
}
