import { z } from "@hono/zod-openapi";
import { eventTypes } from "../../events/envelope.ts";
import { IdSchema, LimitSchema, queryOf } from "./common.ts";

/** The one envelope of every event, on JetStream, in webhooks and here. */
export const EventSchema = z
  .object({
    id: z.string().openapi({ example: "evt_0mh1x2y3z4abcdefghijklmn" }),
    type: z.string().openapi({ example: "payment.captured" }),
    partner_id: z.string(),
    cell_id: z.string(),
    created: z.number().int().openapi({ description: "Unix seconds" }),
    data: z
      .record(z.string(), z.unknown())
      .openapi({ description: "The payment or refund as it was right after the change" }),
  })
  .openapi("Event");

export const ListEventsQuerySchema = queryOf({
  limit: LimitSchema,
  starting_after: IdSchema.optional().openapi({ description: "An event id: the page after it" }),
  type: z.enum(eventTypes).optional(),
});

export const EventListSchema = z
  .object({ object: z.literal("list"), data: z.array(EventSchema), has_more: z.boolean() })
  .openapi("EventList");

export type EventBody = z.infer<typeof EventSchema>;
