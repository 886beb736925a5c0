import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { redriveConsumers, redriveResponse } from "../../../shared/cell-api/contract-redrive.ts";
import type { AppEnv } from "../../app-env.ts";
import { redriveCellEvents } from "../../events/redrive-cell-events.ts";
import { IdParamSchema, ReasonSchema, writeErrorResponses } from "../../schemas/common.ts";

const RedriveBodySchema = z
  .object({
    since: z.iso
      .datetime({ offset: true })
      .optional()
      .openapi({ description: "Publish again every event written at or after this instant." }),
    unprocessed_by: z
      .enum(redriveConsumers)
      .optional()
      .openapi({ description: "Publish again every event this consumer has not processed." }),
    reason: ReasonSchema,
  })
  .strict()
  .refine((b) => b.since !== undefined || b.unprocessed_by !== undefined, {
    message: "give `since`, `unprocessed_by` or both",
    path: ["since"],
  })
  .openapi("RedriveEvents");

export const redriveEventsRoute = createRoute({
  method: "post",
  path: "/admin/v1/cells/{id}/events/redrive",
  tags: ["Cells"],
  summary: "Publish a cell's events again from its outbox",
  description:
    "After JetStream lost messages (its store was deleted, a stream recreated) or a consumer missed some: the cell's relay publishes the outbox rows again. Duplicates are dropped by Nats-Msg-Id within the stream's duplicate window and by each consumer's processed-event record after it, so nothing is applied twice.",
  security: [{ bearer: [] }],
  request: {
    params: IdParamSchema,
    body: { required: true, content: { "application/json": { schema: RedriveBodySchema } } },
  },
  responses: {
    200: {
      description: "What was requeued",
      content: { "application/json": { schema: redriveResponse.openapi("RedriveResult") } },
    },
    ...writeErrorResponses,
  },
});

export function registerRedriveEvents(app: OpenAPIHono<AppEnv>) {
  app.openapi(redriveEventsRoute, async (c) =>
    c.json(
      await redriveCellEvents(c.get("deps"), c.get("admin"), c.req.valid("param").id, c.req.valid("json")),
      200,
    ),
  );
}
