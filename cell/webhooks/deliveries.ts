// The partner's view of deliveries: attempts of one, and re-sending a finished one.
import { ApiError, notFound } from "../../shared/errors.ts";
import type { Sql } from "../db/client.ts";
import { findDelivery, listAttempts, resendDelivery } from "../db/queries/webhooks.ts";

export async function listDeliveryAttempts(sql: Sql, partnerId: string, deliveryId: string) {
  const delivery = await findDelivery(sql, partnerId, deliveryId);
  if (!delivery) throw notFound("webhook delivery", deliveryId);
  return listAttempts(sql, partnerId, deliveryId);
}

/**
 * A dead or succeeded delivery goes back to pending, due now, with its max age restarted.
 * A pending one is refused: it will be tried anyway, and a second copy would race it.
 */
export async function resendWebhookDelivery(sql: Sql, partnerId: string, id: string, now: Date) {
  const resent = await resendDelivery(sql, partnerId, id, now);
  if (resent) return resent;
  const delivery = await findDelivery(sql, partnerId, id);
  if (!delivery) throw notFound("webhook delivery", id);
  throw new ApiError(
    "webhook_delivery_pending",
    `Webhook delivery ${id} is pending: it will be attempted again at ${delivery.next_attempt_at.toISOString()}.`,
  );
}
