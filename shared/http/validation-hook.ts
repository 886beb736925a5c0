// zod failures become a 400 naming the field (`param` is the dotted path of the first issue), for
// every service. A schema can name a more precise code through the issue's params (e.g.
// unknown_currency). `sensitive` (the gateway's card-number detector) keeps a field *named* with
// secret data out of param and message: its parent is named instead.
import type { Hook } from "@hono/zod-openapi";
import type { Env } from "hono";
import { ApiError, type ErrorCode, errorCodes } from "../errors.ts";

export function createValidationHook<E extends Env>(
  opts: { sensitive?: (text: string) => boolean; sensitiveCode?: ErrorCode } = {},
  // biome-ignore lint/suspicious/noExplicitAny: the hook is shared by every route's schemas
): Hook<any, E, any, any> {
  return (result) => {
    if (result.success) return;
    const issue = result.error.issues[0];
    // An unknown field is reported on its parent object: name the field itself.
    const path =
      issue?.code === "unrecognized_keys" ? [...issue.path, ...issue.keys.slice(0, 1)] : issue?.path;
    let param = path?.map(String).join(".") || undefined;
    let custom = (issue as { params?: { code?: string } } | undefined)?.params?.code;
    let redacted = false;
    if (opts.sensitive && param !== undefined && opts.sensitive(param)) {
      param = issue?.path.map(String).join(".") || undefined;
      if (param !== undefined && opts.sensitive(param)) param = undefined;
      custom = opts.sensitiveCode;
      redacted = true;
    }
    const code: ErrorCode =
      custom && (errorCodes as string[]).includes(custom) ? (custom as ErrorCode) : "invalid_request";
    const what = param ? `'${param}' ` : "";
    const message = redacted
      ? `Invalid ${what}: must not contain a card number; send card data only in the card fields.`.replace(
          " :",
          ":",
        )
      : issue
        ? `Invalid ${what}: ${issue.message}`.replace(" :", ":")
        : "Invalid request.";
    throw new ApiError(code, message, param === undefined ? {} : { param });
  };
}
