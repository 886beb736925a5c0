// The control plane's error handler: the shared one (shared/http/error-handler.ts), the same the
// gateway uses, so both answer 404/405 and Hono's own errors alike.
import { createErrorHandler, notFoundOrMethodNotAllowed } from "../shared/http/error-handler.ts";
import type { AppEnv } from "./app-env.ts";

export const onError = createErrorHandler<AppEnv>();
export const notFoundOr405 = notFoundOrMethodNotAllowed<AppEnv>;
