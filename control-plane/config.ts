// The control plane's configuration, from the environment, parsed once at start.
import { z } from "zod";
import { parseEnv } from "../shared/http/parse-env.ts";

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(17000),
  HOST: z.string().default("127.0.0.1"),
  DATABASE_URL: z.string().url(),
  NATS_URL: z.string().url(),
  /** The control plane's own NATS credential (NKey seed file, 0600) and optional TLS to NATS. */
  NATS_NKEY_SEED_FILE: z.string().min(1).optional(),
  NATS_TLS_CA_FILE: z.string().min(1).optional(),
  NATS_TLS_CERT_FILE: z.string().min(1).optional(),
  NATS_TLS_KEY_FILE: z.string().min(1).optional(),
  /** The Ed25519 private key (PKCS#8 PEM, 0600) that signs every routing table and delta. */
  ROUTING_SIGNING_KEY_FILE: z.string().min(1),
  /**
   * The bootstrap token: it can only create the first `admin` token, and is refused once an
   * active admin token exists. Unset, there is none (and a stored one is revoked at start).
   */
  CELLPAY_BOOTSTRAP_TOKEN: z
    .string()
    .regex(/^adm_[A-Za-z0-9_-]{16,}$/, "must look like adm_ followed by 16+ characters")
    .optional(),
  /** Credentials per audience: the cells' internal API (held by the control plane only), the
   * routers' routing-table fetch, and metrics scraping (this /metrics and the monitor's scrapes). */
  CELLPAY_CELL_ADMIN_TOKEN: z.string().min(16),
  CELLPAY_ROUTER_TABLE_TOKEN: z.string().min(16),
  CELLPAY_METRICS_TOKEN: z.string().min(16),
  /** Ed25519 private key (base64 PKCS#8 DER) that signs move capabilities. */
  CELLPAY_MOVE_SIGNING_KEY: z.string().min(16),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  HEALTH_CHECK_INTERVAL_MS: z.coerce.number().int().min(100).default(3000),
  CELL_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  /** Monitoring: scrape interval, routers to scrape (comma-separated base URLs), and the cells'
   * worker /metrics URLs as `cell-a=http://127.0.0.1:17190,cell-a=http://…`. */
  MONITOR_INTERVAL_MS: z.coerce.number().int().min(100).default(2000),
  ROUTER_URLS: z.string().default(""),
  CELL_METRICS_TARGETS: z.string().default(""),
  /** The backup repository root (one stanza per cell): its status files give backup health. */
  CELLPAY_BACKUP_DIR: z.string().optional(),
});

export type ControlPlaneEnv = z.infer<typeof envSchema>;

export function parseControlPlaneEnv(env: Record<string, string | undefined>): ControlPlaneEnv {
  return parseEnv("control plane", envSchema, env);
}
