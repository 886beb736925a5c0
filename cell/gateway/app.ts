// The cell gateway's HTTP API. Read top-down: context and error handling, then the public docs and
// health routes, then authentication, then one registrar per route (routes/<resource>/<verb>.ts).
import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./app-env.ts";
import type { GatewayDeps } from "./deps.ts";
import { notFoundOrMethodNotAllowed, onError } from "./error-handler.ts";
import { authenticate } from "./middleware/authenticate.ts";
import { jsonBody } from "./middleware/json-body.ts";
import { requestContext } from "./middleware/request-context.ts";
import { registerCreateCardToken } from "./routes/card-tokens/create.ts";
import { registerDocs } from "./routes/docs.ts";
import { registerHealth } from "./routes/health.ts";
import { registerCancelPayment } from "./routes/payments/cancel.ts";
import { registerCapturePayment } from "./routes/payments/capture.ts";
import { registerCreatePayment } from "./routes/payments/create.ts";
import { registerListPayments } from "./routes/payments/list.ts";
import { registerRetrievePayment } from "./routes/payments/retrieve.ts";
import { registerCreateRefund } from "./routes/refunds/create.ts";
import { registerListRefunds } from "./routes/refunds/list.ts";
import { registerRetrieveRefund } from "./routes/refunds/retrieve.ts";
import { validationHook } from "./validation-hook.ts";

export function createGatewayApp(deps: GatewayDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use(async function injectDeps(c, next) {
    c.set("deps", deps);
    await next();
  });
  app.use(requestContext());
  app.onError(onError);
  app.notFound(notFoundOrMethodNotAllowed(() => app.routes));

  registerHealth(app);
  registerDocs(app);

  app.use("/v1/*", jsonBody());
  app.use("/v1/*", async function authenticateExceptDocs(c, next) {
    if (c.req.path === "/v1/openapi.json") return next();
    return authenticate()(c, next);
  });

  registerCreatePayment(app);
  registerListPayments(app);
  registerRetrievePayment(app);
  registerCapturePayment(app);
  registerCancelPayment(app);
  registerCreateRefund(app);
  registerListRefunds(app);
  registerRetrieveRefund(app);
  registerCreateCardToken(app);
  return app;
}
