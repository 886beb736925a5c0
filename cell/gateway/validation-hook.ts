// zod failures become a 400 naming the field (`param` is the dotted path of the first issue).
// A schema can name a more precise code through the issue's params (e.g. unknown_currency).
import type { Hook } from "@hono/zod-openapi";
import { ApiError, type ErrorCode, errorCodes } from "../../shared/errors.ts";
import type { AppEnv } from "./app-env.ts";

// biome-ignore lint/suspicious/noExplicitAny: the hook is shared by every route's schemas
export const validationHook: Hook<any, AppEnv, any, any> = (result) => {
  if (result.success) return;
  const issue = result.error.issues[0];
  // An unknown field is reported on its parent object: name the field itself.
  const path = issue?.code === "unrecognized_keys" ? [...issue.path, ...issue.keys.slice(0, 1)] : issue?.path;
  const param = path?.map(String).join(".") || undefined;
  const custom = (issue as { params?: { code?: string } } | undefined)?.params?.code;
  const code: ErrorCode =
    custom && (errorCodes as string[]).includes(custom) ? (custom as ErrorCode) : "invalid_request";
  const what = param ? `'${param}' ` : "";
  const message = issue ? `Invalid ${what}: ${issue.message}`.replace(" :", ":") : "Invalid request.";
  throw new ApiError(code, message, param === undefined ? {} : { param });
};
