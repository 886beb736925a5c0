// The re-drive of a cell's events (cell/events/redrive/): the internal API's request and answer,
// shared by the cell (serves it) and the control plane (calls it, audits it).
import { z } from "zod";

/** The cell's durable consumers (cell/events/processors/main.ts), by their JetStream names. */
export const redriveConsumers = ["ledger", "settlement", "webhooks"] as const;

export const redriveRequest = z
  .object({
    /** Every event written at or after this instant (ISO 8601) is published again. */
    since: z.iso.datetime({ offset: true }).optional(),
    /** Every event this consumer has not recorded as processed is published again. */
    unprocessed_by: z.enum(redriveConsumers).optional(),
  })
  .strict()
  .refine((r) => r.since !== undefined || r.unprocessed_by !== undefined, {
    message: "give `since`, `unprocessed_by` or both",
    path: ["since"],
  });
export type RedriveRequest = z.infer<typeof redriveRequest>;

export const redriveResponse = z.object({
  /** Outbox rows handed back to the relay (published_at cleared). */
  requeued: z.number().int().min(0),
  since: z.string().nullable(),
  unprocessed_by: z.enum(redriveConsumers).nullable(),
  /** The oldest and newest event requeued (ids are time-sortable), null when none. */
  first_event_id: z.string().nullable(),
  last_event_id: z.string().nullable(),
});
export type RedriveResult = z.infer<typeof redriveResponse>;
