// zod failures become a 400 naming the field (`param` is the dotted path of the first issue).
// A schema can name a more precise code through the issue's params (e.g. unknown_currency).
import type { Hook } from "@hono/zod-openapi";
import { ApiError, type ErrorCode, errorCodes } from "../../shared/errors.ts";
import { containsCardNumber } from "../vault/pan-detector.ts";
import type { AppEnv } from "./app-env.ts";

// biome-ignore lint/suspicious/noExplicitAny: the hook is shared by every route's schemas
export const validationHook: Hook<any, AppEnv, any, any> = (result) => {
  if (result.success) return;
  const issue = result.error.issues[0];
  // An unknown field is reported on its parent object: name the field itself.
  const path = issue?.code === "unrecognized_keys" ? [...issue.path, ...issue.keys.slice(0, 1)] : issue?.path;
  let param = path?.map(String).join(".") || undefined;
  let custom = (issue as { params?: { code?: string } } | undefined)?.params?.code;
  // A field *named* with a card number would be echoed in param and message: name its parent.
  if (param !== undefined && containsCardNumber(param)) {
    param = issue?.path.map(String).join(".") || undefined;
    if (param !== undefined && containsCardNumber(param)) param = undefined;
    custom = "card_number_in_free_text";
  }
  const code: ErrorCode =
    custom && (errorCodes as string[]).includes(custom) ? (custom as ErrorCode) : "invalid_request";
  const what = param ? `'${param}' ` : "";
  const message =
    custom === "card_number_in_free_text"
      ? `Invalid ${what}: must not contain a card number; send card data only in the card fields.`.replace(
          " :",
          ":",
        )
      : issue
        ? `Invalid ${what}: ${issue.message}`.replace(" :", ":")
        : "Invalid request.";
  throw new ApiError(code, message, param === undefined ? {} : { param });
};
