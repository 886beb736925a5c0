import type { ApiVersion } from "../../shared/api-versions.ts";
import type { Logger } from "../../shared/logger.ts";
import type { ModeScope } from "../partners/mode-scope.ts";
import type { PartnerSettings } from "../partners/partner-settings.ts";
import type { GatewayDeps } from "./deps.ts";

/** What authentication puts on the context: the partner every query of the request is scoped to. */
export interface AuthedPartner {
  partnerId: string;
  keyId: string;
  mode: "test" | "live";
  /** What every query of the request is scoped to: this partner, in the key's mode. */
  scope: ModeScope;
  settings: PartnerSettings;
}

export interface AppEnv {
  Variables: {
    deps: GatewayDeps;
    requestId: string;
    log: Logger;
    partner: AuthedPartner;
    /** The API version this request is answered in (cell/api-versions/api-version-middleware.ts). */
    apiVersion: ApiVersion;
    /** W3C traceparent of this request's span (middleware/metrics.ts). */
    traceparent: string;
    /** The error onError rendered as a 5xx, logged once by request-context. */
    error: unknown;
  };
}
