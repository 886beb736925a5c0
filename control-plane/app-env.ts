import type { Logger } from "../shared/logger.ts";
import type { AdminRoleName } from "./db/schema.ts";
import type { ControlPlaneDeps } from "./deps.ts";

/** Who made an admin call, and the call's context: the audit log's "who", "from where", "why". */
export interface AdminActor {
  tokenId: string;
  name: string;
  role: AdminRoleName | "system" | "none";
  /** The token's expiry: a token cannot mint one that outlives it. */
  expiresAt?: Date | null;
  sourceIp?: string | null;
  requestId?: string | null;
  reason?: string | null;
  /** Set once the handler has written the call's audit row (the middleware then adds none). */
  recorded?: boolean;
}

export interface AppEnv {
  Variables: {
    deps: ControlPlaneDeps;
    requestId: string;
    log: Logger;
    admin: AdminActor;
    /** The error onError rendered, logged once (with a 5xx) by request-context. */
    error: unknown;
  };
}
