import type { Logger } from "../../shared/logger.ts";
import type { GatewayDeps } from "./deps.ts";

/** What authentication puts on the context: the partner every query of the request is scoped to. */
export interface AuthedPartner {
  partnerId: string;
  keyId: string;
  mode: "test" | "live";
}

export interface AppEnv {
  Variables: {
    deps: GatewayDeps;
    requestId: string;
    log: Logger;
    partner: AuthedPartner;
  };
}
