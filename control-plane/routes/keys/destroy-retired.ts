import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../app-env.ts";
import { destroyRetiredDataKeys } from "../../keys/cell-keys.ts";
import { IdParamSchema, writeErrorResponses } from "../../schemas/common.ts";
import { DestroyedKeysSchema } from "../../schemas/keys.ts";

export const destroyRetiredKeysRoute = createRoute({
  method: "post",
  path: "/admin/v1/cells/{id}/keys/destroy-retired",
  tags: ["Keys"],
  summary: "Destroy a cell's retired data keys that no ciphertext references",
  description:
    "The cell re-checks every retired key against every sealed column before deleting it; a key still referenced is kept and listed.",
  security: [{ bearer: [] }],
  request: { params: IdParamSchema },
  responses: {
    200: {
      description: "Destroyed and kept keys",
      content: { "application/json": { schema: DestroyedKeysSchema } },
    },
    ...writeErrorResponses,
  },
});

export function registerDestroyRetiredKeys(app: OpenAPIHono<AppEnv>) {
  app.openapi(destroyRetiredKeysRoute, async (c) =>
    c.json(await destroyRetiredDataKeys(c.get("deps"), c.get("admin"), c.req.valid("param").id), 200),
  );
}
