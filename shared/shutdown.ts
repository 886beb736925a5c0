// SIGTERM/SIGINT: run the process's close() once, then exit; a second signal exits at once.
import type { Logger } from "./logger.ts";

export function onShutdownSignal(logger: Logger, close: () => Promise<void>, graceMs = 15_000): void {
  let closing = false;
  const handler = (signal: NodeJS.Signals) => {
    if (closing) process.exit(1);
    closing = true;
    logger.info({ signal }, "shutting down");
    const force = setTimeout(() => process.exit(1), graceMs);
    force.unref();
    close()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        logger.error({ err: (err as Error).message }, "shutdown failed");
        process.exit(1);
      });
  };
  process.on("SIGTERM", handler);
  process.on("SIGINT", handler);
}
