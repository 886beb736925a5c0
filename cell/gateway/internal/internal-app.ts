// The cell's internal API, mounted at /internal/v1 (see shared/cell-api/contract.ts).
import { Hono } from "hono";
import type { AppEnv } from "../app-env.ts";
import { internalAuth } from "./internal-auth.ts";
import { registerInternalKeys } from "./keys.ts";
import { registerInternalPartnerMoves } from "./partner-moves.ts";
import { registerInternalPartners } from "./partners.ts";

export function createInternalApp(token: string | undefined): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(internalAuth(token));
  app.get("/health", async (c) => {
    await c.get("deps").sql`select 1`;
    return c.json({ status: "ok", cell_id: c.get("deps").config.cellId });
  });
  registerInternalPartners(app);
  registerInternalPartnerMoves(app);
  registerInternalKeys(app);
  return app;
}
