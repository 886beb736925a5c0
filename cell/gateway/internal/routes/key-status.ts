// GET /internal/v1/keys: the cell's data keys (state, master, encryption count, cryptoperiod) and
// its latest data-key rotation (cell/vault/vault-keys.ts does the work).
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { CellKeyStatusSchema } from "../../../../shared/cell-api/contract-keys.ts";
import type { AppEnv } from "../../app-env.ts";
import { errorJson, internalErrors, internalRouteBase, json } from "./internal-route.ts";

export const keyStatusRoute = createRoute({
  ...internalRouteBase,
  method: "get",
  path: "/keys",
  summary: "This cell's data keys and its latest data-key rotation",
  responses: {
    200: json(CellKeyStatusSchema, "Key status"),
    ...internalErrors,
    400: errorJson("The master keyring file cannot be loaded"),
  },
});

export function registerKeyStatus(app: OpenAPIHono<AppEnv>) {
  app.openapi(keyStatusRoute, async (c) => c.json(await c.get("deps").vault.keys.status(), 200));
}
