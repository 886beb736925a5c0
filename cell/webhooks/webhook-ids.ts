// Ids and secrets of the webhook resources.
import { randomBytes } from "node:crypto";
import { type IdPrefix, newId } from "../../shared/ids.ts";

// "wd" (delivery) is not in shared/ids.ts's IdPrefix yet (that file belongs to another change):
// newId only prefixes, so the cast keeps the one id format until the prefix is added there.
export const newDeliveryId = (now?: number) => newId("wd" as IdPrefix, now);
export const newEndpointId = () => newId("we");

/** A signing secret: 32 random bytes, shown to the partner once and stored sealed. */
export const newSigningSecret = () => `whsec_${randomBytes(32).toString("base64url")}`;
