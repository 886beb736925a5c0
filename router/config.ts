// The router's configuration, from the environment, parsed once at start.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { parseRoutingPublicKey } from "../shared/routing/routing-signature.ts";
import { parseGatewayAllowlist } from "./gateway-allowlist.ts";
import { parseTrustedProxies } from "./transport-security.ts";

/** A zod field parsed once by `parse`, with its error message as the issue. */
const parsedWith = <T>(parse: (value: string) => T) =>
  z.string().transform((value, ctx) => {
    try {
      return parse(value);
    } catch (err) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: (err as Error).message });
      return z.NEVER;
    }
  });

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535),
  HOST: z.string().default("127.0.0.1"),
  CONTROL_PLANE_URL: z.string().url(),
  CONTROL_PLANE_NATS_URL: z.string().min(1),
  /** The router's own NATS credential (NKey seed file, 0600; subscribe-only) and optional TLS to NATS. */
  CONTROL_PLANE_NATS_NKEY_SEED_FILE: z.string().min(1).optional(),
  CONTROL_PLANE_NATS_TLS_CA_FILE: z.string().min(1).optional(),
  CONTROL_PLANE_NATS_TLS_CERT_FILE: z.string().min(1).optional(),
  CONTROL_PLANE_NATS_TLS_KEY_FILE: z.string().min(1).optional(),
  /**
   * The control plane's Ed25519 public key (base64 DER, or PEM): routing tables and deltas that it
   * did not sign are refused. ROUTING_PUBLIC_KEY_FILE names a file holding it instead.
   */
  ROUTING_PUBLIC_KEY: parsedWith(parseRoutingPublicKey).optional(),
  ROUTING_PUBLIC_KEY_FILE: parsedWith((file) => parseRoutingPublicKey(readFileSync(file, "utf8"))).optional(),
  /** Where gateways may be: hostnames, IPs and CIDRs, comma-separated. A table naming another is refused. */
  ROUTER_GATEWAY_ALLOWLIST: parsedWith(parseGatewayAllowlist).default(parseGatewayAllowlist("127.0.0.1/32")),
  /** The routing-table read credential (GET /internal/v1/routing-table on the control plane). */
  CELLPAY_ROUTER_TABLE_TOKEN: z.string().min(16),
  /** The metrics-scrape credential this router's /metrics accepts (and nothing else). */
  CELLPAY_METRICS_TOKEN: z.string().min(16),
  /** Where the last routing table is kept for a restart while the control plane is down. */
  ROUTER_SNAPSHOT_FILE: z.string().min(1),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  RESYNC_INTERVAL_MS: z.coerce.number().int().min(100).default(30_000),
  HEALTH_CHECK_INTERVAL_MS: z.coerce.number().int().min(50).default(2_000),
  CONNECT_TIMEOUT_MS: z.coerce.number().int().min(10).default(1_000),
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(10).default(15_000),
  HOLD_MAX_MS: z.coerce.number().int().min(0).default(10_000),
  BREAKER_THRESHOLD: z.coerce.number().int().min(1).default(5),
  BREAKER_COOL_DOWN_MS: z.coerce.number().int().min(10).default(5_000),
  UPSTREAM_CONNECTIONS: z.coerce.number().int().min(1).default(128),
  /** PEM files: with both, the router serves HTTPS only (re-read on SIGHUP, for rotation). */
  ROUTER_TLS_CERT_FILE: z.string().min(1).optional(),
  ROUTER_TLS_KEY_FILE: z.string().min(1).optional(),
  /** Strict-Transport-Security max-age; the local launcher shortens it for its dev certificate. */
  ROUTER_HSTS_MAX_AGE_S: z.coerce.number().int().min(0).default(31_536_000),
  /**
   * TLS-terminating proxies (comma-separated IPs/CIDRs) whose X-Forwarded-Proto: https lets a
   * live key through over plain HTTP. Empty: only TLS to the router itself, or loopback.
   */
  ROUTER_TRUSTED_PROXIES: z
    .string()
    .default("")
    .transform((value, ctx) => {
      try {
        return parseTrustedProxies(value);
      } catch (err) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: (err as Error).message });
        return z.NEVER;
      }
    }),
  /** A partner with this many 5xx in the window (and half its outcomes) is throttled (partner-error-throttle.ts). */
  PARTNER_ERROR_THRESHOLD: z.coerce.number().int().min(1).default(20),
  PARTNER_ERROR_WINDOW_MS: z.coerce.number().int().min(100).default(10_000),
  PARTNER_THROTTLE_MS: z.coerce.number().int().min(100).default(10_000),
});

export type RouterEnv = z.infer<typeof envSchema>;

export function parseRouterEnv(env: Record<string, string | undefined>): RouterEnv {
  const result = envSchema
    .refine((e) => (e.ROUTER_TLS_CERT_FILE === undefined) === (e.ROUTER_TLS_KEY_FILE === undefined), {
      message: "set both ROUTER_TLS_CERT_FILE and ROUTER_TLS_KEY_FILE, or neither",
      path: ["ROUTER_TLS_KEY_FILE"],
    })
    .refine((e) => (e.ROUTING_PUBLIC_KEY === undefined) !== (e.ROUTING_PUBLIC_KEY_FILE === undefined), {
      message: "set ROUTING_PUBLIC_KEY or ROUTING_PUBLIC_KEY_FILE (one of them): routing must be signed",
      path: ["ROUTING_PUBLIC_KEY"],
    })
    .safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`router configuration is invalid:\n${lines.join("\n")}`);
  }
  return result.data;
}
