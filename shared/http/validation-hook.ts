// zod failures become a 400 naming the field (`param` is the dotted path of the first issue), for
// every service. A schema can name a more precise code through the issue's params (e.g.
// unknown_currency). `sensitive` (the gateway's card-number detector) keeps a field *named* with
// secret data out of param and message: its parent is named instead. Values that pass their
// schema are also refused when they hold text no Postgres column can store.
import type { Hook } from "@hono/zod-openapi";
import type { Env } from "hono";
import { ApiError, type ErrorCode, errorCodes } from "../errors.ts";

export function createValidationHook<E extends Env>(
  opts: { sensitive?: (text: string) => boolean; sensitiveCode?: ErrorCode } = {},
  // biome-ignore lint/suspicious/noExplicitAny: the hook is shared by every route's schemas
): Hook<any, E, any, any> {
  return (result, c) => {
    if (result.success) {
      const path = unstorableTextAt(result.data, []);
      if (path) {
        const param = path.join(".");
        throw new ApiError(
          "invalid_request",
          `Invalid '${param}': must be text without NUL characters or unpaired surrogates.`,
          { param },
        );
      }
      return;
    }
    const issue = result.error.issues[0];
    // An unknown field is reported on its parent object: name the field itself.
    const path =
      issue?.code === "unrecognized_keys" ? [...issue.path, ...issue.keys.slice(0, 1)] : issue?.path;
    let param = path?.map(String).join(".") || undefined;
    let custom = (issue as { params?: { code?: string } } | undefined)?.params?.code;
    if (opts.sensitive && param !== undefined && opts.sensitive(param)) {
      param = issue?.path.map(String).join(".") || undefined;
      if (param !== undefined && opts.sensitive(param)) param = undefined;
      custom = opts.sensitiveCode;
    }
    const code: ErrorCode =
      custom && (errorCodes as string[]).includes(custom) ? (custom as ErrorCode) : "invalid_request";
    const what = param ? `'${param}' ` : "";
    let message: string;
    if (opts.sensitiveCode !== undefined && custom === opts.sensitiveCode) {
      message = `Invalid ${what}: must not contain a card number; send card data only in the card fields.`;
    } else if (result.target === "query" && issue?.code === "unrecognized_keys") {
      // Query strings get plainer words: a parameter is unknown, or repeated (it parsed as a list).
      message = `Unknown query parameter '${param}'.`;
    } else if (result.target === "query" && param && (c.req.queries(param)?.length ?? 0) > 1) {
      message = `Query parameter '${param}' was given more than once.`;
    } else {
      message = issue ? `Invalid ${what}: ${issue.message}` : "Invalid request.";
    }
    throw new ApiError(code, message.replace(" :", ":"), param === undefined ? {} : { param });
  };
}

// Postgres text and jsonb cannot hold U+0000, and jsonb refuses a lone surrogate: such a value
// failed deep in a write as a 500 (or was silently altered) instead of a 400 naming the field.
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what this looks for
const unstorable = /[\u0000\p{Cs}]/u;

/** The path of the first key or string value no column can store, in any schema's output. */
function unstorableTextAt(value: unknown, path: string[]): string[] | undefined {
  if (typeof value === "string") return unstorable.test(value) ? path : undefined;
  if (typeof value !== "object" || value === null) return undefined;
  for (const [key, inner] of Object.entries(value)) {
    if (unstorable.test(key)) return [...path, key.replace(unstorable, "?")];
    const found = unstorableTextAt(inner, [...path, key]);
    if (found) return found;
  }
  return undefined;
}
