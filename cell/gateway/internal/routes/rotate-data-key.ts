// POST /internal/v1/keys/rotate-data: a new active data key now; the old ciphertexts are
// re-encrypted in the background (202: GET /keys shows the rotation's progress).
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { DataKeyRotationSchema } from "../../../../shared/cell-api/contract-keys.ts";
import type { AppEnv } from "../../app-env.ts";
import { errorJson, internalErrors, internalRouteBase, json } from "./internal-route.ts";

export const rotateDataKeyRoute = createRoute({
  ...internalRouteBase,
  method: "post",
  path: "/keys/rotate-data",
  summary: "Start a data-key rotation (a new active key, re-encryption in the background)",
  responses: {
    202: json(DataKeyRotationSchema, "Rotation started"),
    ...internalErrors,
    400: errorJson("The master keyring file cannot be loaded"),
    409: errorJson("A data key rotation is already running in this cell (key_rotation_in_progress)"),
  },
});

export function registerRotateDataKey(app: OpenAPIHono<AppEnv>) {
  app.openapi(rotateDataKeyRoute, async (c) => c.json(await c.get("deps").vault.keys.rotateData(), 202));
}
