// A small HTTP server for processes that answer no other HTTP (outbox relay, processors):
// GET /metrics (Prometheus text) on METRICS_PORT, bound to HOST (127.0.0.1 by default), to the
// metrics-scrape credential when one is configured (the launcher always gives one).
import { createServer, type Server } from "node:http";
import { bearerMatcher } from "../http/bearer-auth.ts";
import type { Logger } from "../logger.ts";
import { type MetricsRegistry, PROMETHEUS_CONTENT_TYPE } from "./registry.ts";

export async function startMetricsServer(
  registry: MetricsRegistry,
  opts: { port: number; host?: string; log: Logger; token?: string | undefined },
): Promise<{ url: string; close(): Promise<void> }> {
  const scraper = opts.token ? bearerMatcher(opts.token) : undefined;
  const server: Server = createServer((req, res) => {
    if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== "/metrics") {
      res.writeHead(404).end();
      return;
    }
    if (scraper && !scraper(req.headers.authorization)) {
      res.writeHead(401, { "content-type": "text/plain" }).end("metrics-scrape credential required\n");
      return;
    }
    registry.render().then(
      (text) => res.writeHead(200, { "content-type": PROMETHEUS_CONTENT_TYPE }).end(text),
      (err: unknown) => {
        opts.log.error({ err }, "metrics render failed");
        res.writeHead(500).end();
      },
    );
  });
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : opts.port;
  return {
    url: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
