// The cell gateway's public HTTP API: the only app the router forwards to. Read top-down: context
// and error handling, then the public docs and health routes, then authentication, then one
// registrar per route (routes/<resource>/<verb>.ts). The internal API and the metrics are not
// here: they are served on the internal listener (internal/internal-listener-app.ts).
import { OpenAPIHono } from "@hono/zod-openapi";
import { apiVersion } from "../api-versions/api-version-middleware.ts";
import { createVersionChain } from "../api-versions/version-chain.ts";
import type { AppEnv } from "./app-env.ts";
import type { GatewayDeps } from "./deps.ts";
import { notFoundOrMethodNotAllowed, onError } from "./error-handler.ts";
import { admission } from "./middleware/admission.ts";
import { authenticate } from "./middleware/authenticate.ts";
import { jsonBody } from "./middleware/json-body.ts";
import { metrics } from "./middleware/metrics.ts";
import { partnerLimits } from "./middleware/partner-limits.ts";
import { pathGuard } from "./middleware/path-guard.ts";
import { requestContext } from "./middleware/request-context.ts";
import { registerRetrieveBalance } from "./routes/balance/retrieve.ts";
import { registerCreateCardToken } from "./routes/card-tokens/create.ts";
import { registerDeleteCardToken } from "./routes/card-tokens/delete.ts";
import { registerDocs } from "./routes/docs.ts";
import { registerListEvents } from "./routes/events/list.ts";
import { registerRetrieveEvent } from "./routes/events/retrieve.ts";
import { registerHealth } from "./routes/health.ts";
import { registerCancelPayment } from "./routes/payments/cancel.ts";
import { registerCapturePayment } from "./routes/payments/capture.ts";
import { registerCreatePayment } from "./routes/payments/create.ts";
import { registerListPayments } from "./routes/payments/list.ts";
import { registerRetrievePayment } from "./routes/payments/retrieve.ts";
import { registerCreateRefund } from "./routes/refunds/create.ts";
import { registerListRefunds } from "./routes/refunds/list.ts";
import { registerRetrieveRefund } from "./routes/refunds/retrieve.ts";
import { registerListSettlements } from "./routes/settlements/list.ts";
import { registerRetrieveSettlement } from "./routes/settlements/retrieve.ts";
import { registerListWebhookDeliveries } from "./routes/webhook-deliveries/list.ts";
import { registerListWebhookAttempts } from "./routes/webhook-deliveries/list-attempts.ts";
import { registerResendWebhookDelivery } from "./routes/webhook-deliveries/resend.ts";
import { registerCreateWebhookEndpoint } from "./routes/webhook-endpoints/create.ts";
import { registerDeleteWebhookEndpoint } from "./routes/webhook-endpoints/delete.ts";
import { registerListWebhookEndpoints } from "./routes/webhook-endpoints/list.ts";
import { registerRetrieveWebhookEndpoint } from "./routes/webhook-endpoints/retrieve.ts";
import { registerRollWebhookSecret } from "./routes/webhook-endpoints/roll-secret.ts";
import { registerUpdateWebhookEndpoint } from "./routes/webhook-endpoints/update.ts";
import type { GatewayTelemetry } from "./telemetry/gateway-telemetry.ts";
import { validationHook } from "./validation-hook.ts";

/** `deps.acquirer` should be `telemetry.acquirer` (timed), as startGateway builds it. */
export function createGatewayApp(deps: GatewayDeps, telemetry: GatewayTelemetry): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use(pathGuard());
  app.use(async function injectDeps(c, next) {
    c.set("deps", deps);
    await next();
  });
  app.use(metrics(telemetry));
  app.use(requestContext());
  app.onError(onError);
  app.notFound(notFoundOrMethodNotAllowed(() => app.routes));

  registerHealth(app);
  const versionChain = createVersionChain();
  registerDocs(app, versionChain);

  // The partner API: admission first (cheap), body checks, the key, then the partner's limits.
  // Registered after the docs, so GET /v1/openapi.json answers before any of it runs.
  app.use(
    "/v1/*",
    admission({ maxInFlight: deps.config.maxInFlight, queueBudgetMs: deps.config.queueBudgetMs }),
    jsonBody(),
    authenticate(),
    partnerLimits({
      rateLimit: deps.config.defaultRateLimit,
      maxConcurrency: deps.config.defaultMaxConcurrency,
    }),
    // Last: the handlers below see the newest shape only; the answer goes back to the request's version.
    apiVersion({
      chain: versionChain,
      clock: deps.clock,
      onVersion: (version, source) => telemetry.apiVersions.inc([version, source]),
    }),
  );

  registerCreatePayment(app);
  registerListPayments(app);
  registerRetrievePayment(app);
  registerCapturePayment(app);
  registerCancelPayment(app);
  registerCreateRefund(app);
  registerListRefunds(app);
  registerRetrieveRefund(app);
  registerCreateCardToken(app);
  registerDeleteCardToken(app);
  registerRetrieveBalance(app);
  registerListSettlements(app);
  registerRetrieveSettlement(app);
  registerListEvents(app);
  registerRetrieveEvent(app);
  // Webhooks: endpoints (secrets shown once), deliveries, attempts, resend.
  registerCreateWebhookEndpoint(app);
  registerListWebhookEndpoints(app);
  registerRetrieveWebhookEndpoint(app);
  registerUpdateWebhookEndpoint(app);
  registerDeleteWebhookEndpoint(app);
  registerRollWebhookSecret(app);
  registerListWebhookDeliveries(app);
  registerListWebhookAttempts(app);
  registerResendWebhookDelivery(app);
  return app;
}
