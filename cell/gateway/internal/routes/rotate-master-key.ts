// POST /internal/v1/keys/rotate-master: re-reads the keyring (a new master may have been added to
// the file) and re-seals every data key and the canary under its active master.
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { MasterRotationResultSchema } from "../../../../shared/cell-api/contract-keys.ts";
import type { AppEnv } from "../../app-env.ts";
import { errorJson, internalErrors, internalRouteBase, json } from "./internal-route.ts";

export const rotateMasterKeyRoute = createRoute({
  ...internalRouteBase,
  method: "post",
  path: "/keys/rotate-master",
  summary: "Re-seal this cell's data keys under the keyring's active master",
  responses: {
    200: json(MasterRotationResultSchema, "Data keys re-sealed"),
    ...internalErrors,
    400: errorJson("The master keyring file cannot be loaded"),
  },
});

export function registerRotateMasterKey(app: OpenAPIHono<AppEnv>) {
  app.openapi(rotateMasterKeyRoute, async (c) => c.json(await c.get("deps").vault.keys.rotateMaster(), 200));
}
