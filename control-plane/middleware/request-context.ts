// The control plane's request context (shared/http/request-context.ts): log lines carry the
// admin token the request was made with.
import { requestContext as sharedRequestContext } from "../../shared/http/request-context.ts";
import type { AppEnv } from "../app-env.ts";

export const requestContext = () =>
  sharedRequestContext<AppEnv>({
    logger: (c) => c.get("deps").logger,
    line: (c) => ({ admin_token_id: c.get("admin")?.tokenId }),
  });
