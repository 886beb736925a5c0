// Ids and secrets of the webhook resources.
import { randomBytes } from "node:crypto";
import { newId } from "../../shared/ids.ts";

export const newDeliveryId = (now?: number) => newId("wd", now);
export const newEndpointId = () => newId("we");

/** A signing secret: 32 random bytes, shown to the partner once and stored sealed. */
export const newSigningSecret = () => `whsec_${randomBytes(32).toString("base64url")}`;
