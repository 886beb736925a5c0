// The one place a partner API request and its answer pass through the version chain: picks the
// version (the `Cellpay-Version` header, else the partner's pin), lifts the request body of a
// route whose shape changed since, and renders the answer's body back to that version. Answers in
// the newest version are not touched (no parse, no copy), except idempotent replays, whose stored
// body may predate a change.
import type { Context, HonoRequest, MiddlewareHandler } from "hono";
import {
  API_VERSION_HEADER,
  type ApiVersion,
  apiVersionSchema,
  apiVersions,
  LATEST_API_VERSION,
} from "../../shared/api-versions.ts";
import { ApiError } from "../../shared/errors.ts";
import type { AppEnv } from "../gateway/app-env.ts";
import { pinnedVersion } from "./pinned-version.ts";
import type { VersionChain } from "./version-chain.ts";
import { versionHeaders } from "./version-headers.ts";

export interface ApiVersionOptions {
  chain: VersionChain;
  clock: () => Date;
  /** Told each request's version and where it came from (the bounded `api_version` metric). */
  onVersion?: (version: ApiVersion, source: "header" | "pin") => void;
}

const unknownVersion = () =>
  new ApiError(
    "invalid_api_version",
    `Unknown API version in ${API_VERSION_HEADER}; known versions: ${apiVersions.join(", ")} (see GET /v1/versions).`,
    { param: API_VERSION_HEADER.toLowerCase() },
  );

export const apiVersion = (opts: ApiVersionOptions): MiddlewareHandler<AppEnv> =>
  async function apiVersion(c, next) {
    const requested = c.req.header(API_VERSION_HEADER);
    let version: ApiVersion;
    if (requested === undefined) {
      version = pinnedVersion(c.get("partner").settings);
    } else {
      const parsed = apiVersionSchema.safeParse(requested.trim());
      if (!parsed.success) throw unknownVersion();
      version = parsed.data;
    }
    c.set("apiVersion", version);
    opts.onVersion?.(version, requested === undefined ? "pin" : "header");
    // Before next(): a header set after the response exists makes Hono copy the Response.
    for (const [name, value] of Object.entries(versionHeaders(version, opts.clock()))) c.header(name, value);

    const lifted = c.req.method === "POST" && opts.chain.hasRequestChanges("POST", c.req.path, version);
    if (lifted) await liftRequestBody(c.req, opts.chain, version);
    await next();

    const res = c.res;
    if (lifted && res.status >= 400 && res.status < 500) {
      await renameErrorParam(c, opts.chain.requestParamNames("POST", c.req.path, version));
      return;
    }
    if (version === LATEST_API_VERSION && res.headers.get("idempotent-replayed") !== "true") return;
    if (res.status < 200 || res.status >= 300) return;
    if (!res.headers.get("content-type")?.startsWith("application/json")) return;
    const rendered = opts.chain.render(await res.json(), version);
    c.res = new Response(JSON.stringify(rendered), { status: res.status, headers: res.headers });
  };

/** An error about a lifted field names the field as the partner sent it. */
async function renameErrorParam(c: Context<AppEnv>, names: Record<string, string>): Promise<void> {
  const res = c.res;
  if (!res.headers.get("content-type")?.startsWith("application/json")) return;
  const body = (await res.clone().json()) as { error?: { param?: string; message?: string } };
  const param = body.error?.param;
  // Own keys only: a param such as `__proto__` (a partner's own body key) must not find Object.prototype.
  const older = typeof param === "string" && Object.hasOwn(names, param) ? names[param] : undefined;
  if (!body.error || param === undefined || older === undefined) return;
  body.error.param = older;
  if (body.error.message) body.error.message = body.error.message.replaceAll(`'${param}'`, `'${older}'`);
  c.res = new Response(JSON.stringify(body), { status: res.status, headers: res.headers });
}

/**
 * The route's validator reads the body through HonoRequest's text cache: the lifted body is put
 * there, so validation, the idempotency hash and the handler all see the newest shape. A body
 * that is not JSON is left alone for the validator to refuse in the one error shape.
 */
async function liftRequestBody(req: HonoRequest, chain: VersionChain, version: ApiVersion): Promise<void> {
  const text = await req.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return;
  }
  const lifted = chain.upgradeRequest("POST", req.path, body, version);
  // At run time the cache holds the read's promise (hono's types say the reader function).
  if (lifted !== body)
    (req.bodyCache as { text?: Promise<string> }).text = Promise.resolve(JSON.stringify(lifted));
}
