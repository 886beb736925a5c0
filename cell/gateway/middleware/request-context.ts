// The gateway's request context (shared/http/request-context.ts): an incoming request id that
// looks like a card number is replaced; log lines carry the trace id and the partner.
import { requestContext as sharedRequestContext } from "../../../shared/http/request-context.ts";
import { containsCardNumber } from "../../vault/pan-detector.ts";
import type { AppEnv } from "../app-env.ts";

export const requestContext = () =>
  sharedRequestContext<AppEnv>({
    logger: (c) => c.get("deps").logger,
    acceptId: (id) => !containsCardNumber(id),
    bindings: (c) => ({ trace_id: c.get("traceparent")?.slice(3, 35) }),
    line: (c) => ({ partner_id: c.get("partner")?.partnerId }),
  });
