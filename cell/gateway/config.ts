// The gateway's configuration, from the environment, parsed once at start. The local launcher
// sets these from cells.yaml; in production the deployment does.
import { z } from "zod";
import { postgresUrl } from "../../shared/config/postgres-url.ts";
import { parseEnv } from "../../shared/http/parse-env.ts";

const envSchema = z.object({
  CELLPAY_CELL_ID: z.string().min(1),
  PORT: z.coerce.number().int().min(0).max(65535),
  HOST: z.string().default("127.0.0.1"),
  /**
   * The internal listener (internal API, /metrics): a port the router never forwards to, for the
   * control plane and Prometheus only. 0 = any free port (tests).
   */
  INTERNAL_PORT: z.coerce.number().int().min(0).max(65535),
  /** Loopback by default: bind it to the cell's private network address in a deployment. */
  INTERNAL_HOST: z.string().default("127.0.0.1"),
  DATABASE_URL: postgresUrl,
  /** Optional: without it the gateway runs on Postgres alone (no shared cache, local limits). */
  REDIS_URL: z.string().url().optional(),
  CELLPAY_MASTER_KEY: z.string().optional(),
  CELLPAY_MASTER_KEY_FILE: z.string().optional(),
  /** A keyring `{"active": id, "keys": {id: base64}}` instead of one key (vault/master-keyring.ts). */
  CELLPAY_MASTER_KEYS_FILE: z.string().optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  PG_POOL_MAX: z.coerce.number().int().min(1).max(500).default(20),
  ACQUIRER_TIMEOUT_MS: z.coerce.number().int().min(10).default(8000),
  /** Live connectors this cell can reach, comma-separated (acquirer/acquirer-routes.ts); none by default. */
  LIVE_CONNECTORS: z
    .string()
    .default("")
    .transform((s) =>
      s
        .split(",")
        .map((n) => n.trim())
        .filter((n) => n.length > 0),
    ),
  IDEMPOTENCY_LOCK_MS: z.coerce.number().int().min(100).default(30_000),
  RECOVERY_INTERVAL_MS: z.coerce.number().int().min(100).default(5000),
  RECOVERY_STALE_MS: z.coerce.number().int().min(100).default(60_000),
  KEY_CACHE_TTL_MS: z.coerce.number().int().min(0).default(10_000),
  MAX_IN_FLIGHT: z.coerce.number().int().min(1).default(512),
  /**
   * Group commit: statements of each kind of payment write in flight at once. Fewer means bigger
   * batches (fewer commits) but a longer wait behind the one running.
   */
  WRITE_BATCH_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  /**
   * The cell's outbox relay's wake-up address (host:port, UDP; outbox-wake.ts). Unset: the relay
   * finds new events by its sweep only (RELAY_IDLE_MS later).
   */
  OUTBOX_WAKE_ADDRESS: z.string().min(3).optional(),
  /** A request the router sent longer ago than this is shed with 503 before any work. */
  QUEUE_BUDGET_MS: z.coerce.number().int().min(1).default(3000),
  RATE_LIMIT_RATE: z.coerce.number().positive().default(100),
  RATE_LIMIT_BURST: z.coerce.number().int().positive().default(200),
  PARTNER_MAX_CONCURRENCY: z.coerce.number().int().positive().default(64),
  /** Card-testing defence: this many declines within the window pause a partner's card payments. */
  CARD_TESTING_MAX_DECLINES: z.coerce.number().int().min(1).default(20),
  CARD_TESTING_WINDOW_MS: z.coerce.number().int().min(1000).default(60_000),
  /** The control plane's credential for the internal API (/internal/v1); unset: no internal API. */
  CELLPAY_CELL_ADMIN_TOKEN: z.string().min(16).optional(),
  /** The scrapers' credential for /metrics and /metrics/partners; unset: no metrics. */
  CELLPAY_METRICS_TOKEN: z.string().min(16).optional(),
  /** The control plane's Ed25519 public key (base64 SPKI) that signs move capabilities. */
  CELLPAY_MOVE_VERIFY_KEY: z.string().min(16).optional(),
  // Long enough that a busy event loop is not taken for a dead Redis; a dead one fails at once
  // (no offline queue), so this only bounds a hung one.
  REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(1).default(250),
  // Lets test-mode webhook endpoints target loopback/private addresses: set by the local launcher
  // and tests only. Production must leave it unset (false). Live endpoints never may.
  WEBHOOK_ALLOW_PRIVATE_TARGETS: z.enum(["true", "false"]).default("false"),
});

export type GatewayEnv = z.infer<typeof envSchema>;

export function parseGatewayEnv(env: Record<string, string | undefined>): GatewayEnv {
  return parseEnv("gateway", envSchema, env);
}
