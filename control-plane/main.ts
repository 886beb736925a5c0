// Entry point of the control plane: `tsx control-plane/main.ts` with the environment of config.ts.
import { guardKnownLibraryFaults } from "../shared/known-library-faults.ts";
import { createLogger } from "../shared/logger.ts";
import { onShutdownSignal } from "../shared/shutdown.ts";
import { startTracingFromEnv } from "../shared/telemetry/otel-sdk.ts";
import { type ControlPlaneEnv, parseControlPlaneEnv } from "./config.ts";
import { startControlPlane } from "./create-control-plane.ts";

let env: ControlPlaneEnv;
try {
  env = parseControlPlaneEnv(process.env);
} catch (err) {
  createLogger({ service: "control-plane" }).fatal({ err: (err as Error).message }, "bad configuration");
  process.exit(1);
}
const logger = createLogger({ service: "control-plane", level: env.LOG_LEVEL });
guardKnownLibraryFaults((err) =>
  logger.warn({ err: err.message }, "postgres driver late write after a dropped connection (ignored)"),
);
// OTLP trace export only when OTEL_EXPORTER_OTLP_ENDPOINT is set.
startTracingFromEnv("control-plane");
try {
  const controlPlane = await startControlPlane(env, logger);
  logger.info({ url: controlPlane.url }, "control plane listening");
  onShutdownSignal(logger, () => controlPlane.close());
} catch (err) {
  logger.fatal({ err: (err as Error).message }, "control plane failed to start");
  process.exit(1);
}
