// Everything a gateway needs, built once at boot (main.ts) or by a test harness, then passed in.
import type { Logger } from "../../shared/logger.ts";
import type { AcquirerConnector } from "../acquirer/connector.ts";
import type { Db, Sql } from "../db/client.ts";
import type { KeyLookup } from "../partners/key-lookup.ts";
import type { Vault } from "../vault/vault.ts";

export interface GatewayConfig {
  cellId: string;
  /** How long a connector call may take before the payment is left `processing` for recovery. */
  acquirerTimeoutMs: number;
  /** An idempotency key locked longer than this is taken over by a retry (its request died). */
  idempotencyLockMs: number;
}

export interface GatewayDeps {
  config: GatewayConfig;
  sql: Sql;
  db: Db;
  logger: Logger;
  acquirer: AcquirerConnector;
  vault: Vault;
  keys: KeyLookup;
  clock: () => Date;
}
