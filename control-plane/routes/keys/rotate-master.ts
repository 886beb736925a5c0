import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../app-env.ts";
import { rotateMasterKey } from "../../keys/cell-keys.ts";
import { writeErrorResponses } from "../../schemas/common.ts";
import { MasterRotationSchema, RotateMasterBodySchema } from "../../schemas/keys.ts";

export const rotateMasterKeyRoute = createRoute({
  method: "post",
  path: "/admin/v1/keys/rotate-master",
  tags: ["Keys"],
  summary: "Re-seal every cell's data keys under the active master key of their keyring",
  description:
    "Each cell re-reads its keyring (CELLPAY_MASTER_KEYS_FILE) and re-seals its data keys and canary under the keyring's active master. Deploy the new keyring to every gateway first.",
  security: [{ bearer: [] }],
  request: {
    body: { required: false, content: { "application/json": { schema: RotateMasterBodySchema } } },
  },
  responses: {
    200: {
      description: "Per cell: keys re-sealed",
      content: { "application/json": { schema: MasterRotationSchema } },
    },
    ...writeErrorResponses,
  },
});

export function registerRotateMasterKey(app: OpenAPIHono<AppEnv>) {
  app.openapi(rotateMasterKeyRoute, async (c) => {
    const body = c.req.valid("json") ?? {};
    const data = await rotateMasterKey(c.get("deps"), c.get("admin"), { cellId: body.cell_id });
    return c.json({ data }, 200);
  });
}
