// One gateway instance of a cell: a keep-alive connection pool to it and whether it is healthy.
// Active checks (GET /healthz) decide health; a connection that cannot even be opened takes the
// instance out at once (passively), and only a passing check puts it back.
import { Pool } from "undici";
import type { Logger } from "../shared/logger.ts";

export interface UpstreamOptions {
  connectTimeoutMs: number;
  /** Keep-alive connections per instance; beyond this, requests queue in the pool. */
  connections: number;
}

export class Upstream {
  readonly pool: Pool;
  private isHealthy = true;

  constructor(
    readonly url: string,
    readonly cellId: string,
    opts: UpstreamOptions,
    private readonly log: Logger,
  ) {
    // Starts healthy: a new cell must take traffic before its first check; a dead one is found
    // by the first refused connection.
    this.pool = new Pool(url, {
      connections: opts.connections,
      connect: { timeout: opts.connectTimeoutMs },
      // The gateway (Node's http server) closes idle sockets after 5 s and says so in Keep-Alive;
      // undici honours that hint, so we rarely write into a socket the gateway just closed.
      keepAliveTimeout: 4_000,
      headersTimeout: 0,
      bodyTimeout: 0,
    });
  }

  get healthy(): boolean {
    return this.isHealthy;
  }

  markHealthy(): void {
    if (this.isHealthy) return;
    this.isHealthy = true;
    this.log.info({ cell_id: this.cellId, upstream: this.url }, "gateway instance back in rotation");
  }

  markUnhealthy(reason: string): void {
    if (!this.isHealthy) return;
    this.isHealthy = false;
    this.log.warn(
      { cell_id: this.cellId, upstream: this.url, reason },
      "gateway instance taken out of rotation",
    );
  }

  /** One active health check; never throws. */
  async check(timeoutMs: number): Promise<void> {
    try {
      const res = await this.pool.request({
        method: "GET",
        path: "/healthz",
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.body.dump();
      if (res.statusCode === 200) this.markHealthy();
      else this.markUnhealthy(`healthz answered ${res.statusCode}`);
    } catch (err) {
      this.markUnhealthy(errorCode(err));
    }
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }
}

export function errorCode(err: unknown): string {
  if (err && typeof err === "object" && "code" in err && typeof err.code === "string") return err.code;
  if (err instanceof Error) return err.name;
  return "unknown";
}
