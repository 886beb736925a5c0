// zod failures become a 400 naming the field (`param` is the dotted path of the first issue).
import type { Hook } from "@hono/zod-openapi";
import { ApiError } from "../shared/errors.ts";
import type { AppEnv } from "./app-env.ts";

// biome-ignore lint/suspicious/noExplicitAny: the hook is shared by every route's schemas
export const validationHook: Hook<any, AppEnv, any, any> = (result) => {
  if (result.success) return;
  const issue = result.error.issues[0];
  const path = issue?.code === "unrecognized_keys" ? [...issue.path, ...issue.keys.slice(0, 1)] : issue?.path;
  const param = path?.map(String).join(".") || undefined;
  const what = param ? `'${param}' ` : "";
  const message = issue ? `Invalid ${what}: ${issue.message}`.replace(" :", ":") : "Invalid request.";
  throw new ApiError("invalid_request", message, param === undefined ? {} : { param });
};
