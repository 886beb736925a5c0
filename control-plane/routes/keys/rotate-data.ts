import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../app-env.ts";
import { rotateDataKey } from "../../keys/cell-keys.ts";
import { IdParamSchema, writeErrorResponses } from "../../schemas/common.ts";
import { DataKeyRotationSchema } from "../../schemas/keys.ts";

export const rotateDataKeyRoute = createRoute({
  method: "post",
  path: "/admin/v1/cells/{id}/keys/rotate-data",
  tags: ["Keys"],
  summary: "Start a data-key rotation in a cell",
  description:
    "A new data key encrypts from now on; the cell re-encrypts older ciphertexts in the background (resumable) and retires the old key when nothing references it. Progress: GET /admin/v1/cells/{id}/keys.",
  security: [{ bearer: [] }],
  request: { params: IdParamSchema },
  responses: {
    202: {
      description: "The rotation, running",
      content: { "application/json": { schema: DataKeyRotationSchema } },
    },
    ...writeErrorResponses,
  },
});

export function registerRotateDataKey(app: OpenAPIHono<AppEnv>) {
  app.openapi(rotateDataKeyRoute, async (c) =>
    c.json(await rotateDataKey(c.get("deps"), c.get("admin"), c.req.valid("param").id), 202),
  );
}
