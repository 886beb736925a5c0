// POST /internal/v1/keys/destroy-retired: the last step of a data-key rotation, deleting the
// retired data keys no ciphertext of this cell references (checked again under the keys' lock).
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { DestroyedKeysSchema } from "../../../../shared/cell-api/contract-keys.ts";
import type { AppEnv } from "../../app-env.ts";
import { internalErrors, internalRouteBase, json } from "./internal-route.ts";

export const destroyRetiredKeysRoute = createRoute({
  ...internalRouteBase,
  method: "post",
  path: "/keys/destroy-retired",
  summary: "Destroy retired data keys that no ciphertext references",
  responses: {
    200: json(DestroyedKeysSchema, "Destroyed and still referenced keys"),
    ...internalErrors,
  },
});

export function registerDestroyRetiredKeys(app: OpenAPIHono<AppEnv>) {
  app.openapi(destroyRetiredKeysRoute, async (c) =>
    c.json(await c.get("deps").vault.keys.destroyRetired(), 200),
  );
}
