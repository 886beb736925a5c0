import type { Logger } from "../shared/logger.ts";
import type { ControlPlaneDeps } from "./deps.ts";

/** The admin token a request was made with: the audit log's "who". */
export interface AdminActor {
  tokenId: string;
  name: string;
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
