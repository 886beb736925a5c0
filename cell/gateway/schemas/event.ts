import { z } from "@hono/zod-openapi";
import { EventEnvelopeSchema, eventTypes } from "../../events/envelope.ts";
import { IdSchema, LimitSchema, queryOf } from "./common.ts";

/** The one envelope of every event, on JetStream, in webhooks and here (events/envelope.ts). */
export const EventSchema = EventEnvelopeSchema.openapi("Event");

export const ListEventsQuerySchema = queryOf({
  limit: LimitSchema,
  starting_after: IdSchema.optional().openapi({ description: "An event id: the page after it" }),
  type: z.enum(eventTypes).optional(),
});

export const EventListSchema = z
  .object({ object: z.literal("list"), data: z.array(EventSchema), has_more: z.boolean() })
  .openapi("EventList");

export type EventBody = z.infer<typeof EventSchema>;
