// How every NATS client of the platform proves who it is: its own NKey seed (from a 0600 file
// named by configuration, or handed over in-process by a test harness), and optionally TLS.
// Read once at start, like the rest of the configuration.
import { readFileSync } from "node:fs";
import { type ConnectionOptions, nkeyAuthenticator } from "nats";

export interface NatsClientAuth {
  /** The NKey seed itself (in-process callers). */
  seed?: string | undefined;
  /** A file holding the seed (processes: NATS_NKEY_SEED_FILE and friends). */
  seedFile?: string | undefined;
  /** TLS to the server: a CA to trust, and a client certificate when the server verifies clients. */
  tls?:
    | { caFile?: string | undefined; certFile?: string | undefined; keyFile?: string | undefined }
    | undefined;
}

/** The auth part of a process's environment, by prefix. */
export function natsClientAuthFromEnv(env: object, prefix = "NATS_"): NatsClientAuth {
  const read = (name: string) => {
    const value = (env as Record<string, unknown>)[`${prefix}${name}`];
    return typeof value === "string" && value !== "" ? value : undefined;
  };
  const tls = { caFile: read("TLS_CA_FILE"), certFile: read("TLS_CERT_FILE"), keyFile: read("TLS_KEY_FILE") };
  return {
    seedFile: read("NKEY_SEED_FILE"),
    ...(tls.caFile || tls.certFile ? { tls } : {}),
  };
}

/** The connect() options that carry the credential; without one the server refuses us. */
export function natsConnectAuth(auth: NatsClientAuth | undefined): Partial<ConnectionOptions> {
  if (!auth) return {};
  const seed = auth.seed ?? (auth.seedFile ? readFileSync(auth.seedFile, "utf8").trim() : undefined);
  const options: Partial<ConnectionOptions> = {};
  if (seed) options.authenticator = nkeyAuthenticator(new TextEncoder().encode(seed));
  if (auth.tls) {
    options.tls = {
      ...(auth.tls.caFile ? { caFile: auth.tls.caFile } : {}),
      ...(auth.tls.certFile ? { certFile: auth.tls.certFile } : {}),
      ...(auth.tls.keyFile ? { keyFile: auth.tls.keyFile } : {}),
    };
  }
  return options;
}
