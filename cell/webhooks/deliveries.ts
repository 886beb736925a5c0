// The partner's view of deliveries: attempts of one, and re-sending a finished one.
import { ApiError, notFound } from "../../shared/errors.ts";
import type { Sql } from "../db/client.ts";
import { findDelivery, listAttempts, resendDelivery } from "../db/queries/webhooks.ts";
import type { ModeScope } from "../partners/mode-scope.ts";

export async function listDeliveryAttempts(sql: Sql, scope: ModeScope, deliveryId: string) {
  const delivery = await findDelivery(sql, scope, deliveryId);
  if (!delivery) throw notFound("webhook delivery", deliveryId);
  return listAttempts(sql, scope, deliveryId);
}

/**
 * A dead or succeeded delivery goes back to pending, due now, with its max age restarted.
 * A pending one is refused: it will be tried anyway, and a second copy would race it.
 */
export async function resendWebhookDelivery(sql: Sql, scope: ModeScope, id: string, now: Date) {
  const resent = await resendDelivery(sql, scope, id, now);
  if (resent) return resent;
  const delivery = await findDelivery(sql, scope, id);
  if (!delivery) throw notFound("webhook delivery", id);
  throw new ApiError(
    "webhook_delivery_pending",
    `Webhook delivery ${id} is pending: it will be attempted again at ${delivery.next_attempt_at.toISOString()}.`,
  );
}
