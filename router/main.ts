// The router process: parse the environment, start, and stop cleanly on SIGTERM/SIGINT.
import { createLogger } from "../shared/logger.ts";
import { onShutdownSignal } from "../shared/shutdown.ts";
import { startTracingFromEnv } from "../shared/telemetry/otel-sdk.ts";
import { parseRouterEnv } from "./config.ts";
import { startRouter } from "./create-router.ts";

const env = parseRouterEnv(process.env);
const logger = createLogger({ service: "router", level: env.LOG_LEVEL });
// OTLP trace export only when OTEL_EXPORTER_OTLP_ENDPOINT is set.
startTracingFromEnv("router");
const router = await startRouter(env, logger);
logger.info({ url: router.url }, "router ready");
onShutdownSignal(logger, () => router.close());
// Certificate rotation: replace the files, then `kill -HUP <pid>`; no connection is dropped.
process.on("SIGHUP", () => {
  try {
    router.reloadTls();
  } catch (err) {
    logger.error({ err: (err as Error).message }, "TLS reload failed; the previous certificate stays");
  }
});
