// The gateway's validation hook: the shared one, with the card-number detector, so a field
// *named* with a card number is never echoed in `param` or the message.
import { createValidationHook } from "../../shared/http/validation-hook.ts";
import { containsCardNumber } from "../vault/pan-detector.ts";
import type { AppEnv } from "./app-env.ts";

export const validationHook = createValidationHook<AppEnv>({
  sensitive: containsCardNumber,
  sensitiveCode: "card_number_in_free_text",
});
