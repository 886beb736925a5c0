// The cell's internal API, mounted at /internal/v1 (see shared/cell-api/contract.ts): for the
// control plane's cell-admin credential only, with a body limit sized for a move's import batches.
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { INTERNAL_BODY_LIMIT_BYTES } from "../../../shared/cell-api/contract.ts";
import { ApiError } from "../../../shared/errors.ts";
import { requireCredential } from "../../../shared/http/bearer-auth.ts";
import type { AppEnv } from "../app-env.ts";
import { registerInternalPartnerMoves } from "./partner-moves.ts";
import { registerInternalPartners } from "./partners.ts";

export function createInternalApp(cellAdminToken: string | undefined): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(requireCredential<AppEnv>("cell-admin", cellAdminToken));
  app.use(
    bodyLimit({
      maxSize: INTERNAL_BODY_LIMIT_BYTES,
      onError: () => {
        throw new ApiError(
          "payload_too_large",
          `The request body is larger than ${INTERNAL_BODY_LIMIT_BYTES} bytes.`,
        );
      },
    }),
  );
  app.get("/health", async (c) => {
    await c.get("deps").sql`select 1`;
    return c.json({ status: "ok", cell_id: c.get("deps").config.cellId });
  });
  registerInternalPartners(app);
  registerInternalPartnerMoves(app);
  return app;
}
