// Entry point of one gateway process: `tsx cell/gateway/main.ts` with the environment of config.ts.
import { guardKnownLibraryFaults } from "../../shared/known-library-faults.ts";
import { createLogger } from "../../shared/logger.ts";
import { onShutdownSignal } from "../../shared/shutdown.ts";
import { startTracingFromEnv } from "../../shared/telemetry/otel-sdk.ts";
import { createSimulatorAcquirer } from "../acquirer/simulator.ts";
import { parseGatewayEnv } from "./config.ts";
import { startGateway } from "./create-gateway.ts";

const env = parseGatewayEnv(process.env);
const logger = createLogger({ service: "gateway", cellId: env.CELLPAY_CELL_ID, level: env.LOG_LEVEL });
guardKnownLibraryFaults((err) =>
  logger.warn({ err: err.message }, "postgres driver late write after a dropped connection (ignored)"),
);
// OTLP trace export only when OTEL_EXPORTER_OTLP_ENDPOINT is set.
startTracingFromEnv("gateway");
try {
  const gateway = await startGateway(env, logger, createSimulatorAcquirer());
  logger.info({ url: gateway.url, internal_url: gateway.internalUrl }, "gateway listening");
  onShutdownSignal(logger, () => gateway.close());
} catch (err) {
  logger.fatal({ err: (err as Error).message }, "gateway failed to start");
  process.exit(1);
}
