// The public, key-less version routes: the changelog (GET /v1/versions) and the OpenAPI document
// of any version (GET /v1/openapi.json?version=…, the newest when omitted). Both answer before the
// partner API's middleware runs, like /docs.
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import {
  type ApiVersion,
  apiVersionCatalogue,
  apiVersionSchema,
  LATEST_API_VERSION,
} from "../../shared/api-versions.ts";
import { ApiError } from "../../shared/errors.ts";
import type { AppEnv } from "../gateway/app-env.ts";
import { openApiForVersion } from "./openapi-for-version.ts";
import type { VersionChain } from "./version-chain.ts";
import type { Json } from "./version-change.ts";
import { CHANGELOG_PATH, versionHeaders } from "./version-headers.ts";

const ChangeSchema = z.object({ name: z.string(), description: z.string() });

export const ApiVersionSchema = z
  .object({
    object: z.literal("api_version"),
    version: z.string().openapi({ example: LATEST_API_VERSION }),
    latest: z.boolean(),
    deprecated: z
      .string()
      .nullable()
      .openapi({ description: "Date it stopped being the newest; null if it is" }),
    sunset: z.string().nullable().openapi({ description: "Date after which it may be removed" }),
    changes: z.array(ChangeSchema).openapi({ description: "What this version changed from the one before" }),
  })
  .openapi("ApiVersion");

const VersionListSchema = z
  .object({ object: z.literal("list"), data: z.array(ApiVersionSchema), has_more: z.literal(false) })
  .openapi("ApiVersionList");

export const listVersionsRoute = createRoute({
  method: "get",
  path: CHANGELOG_PATH,
  tags: ["Versions"],
  summary: "The changelog: every API version, newest first, with what it changed",
  description:
    "No key needed. Your account is pinned to one version; send `Cellpay-Version: <version>` to use another for one request.",
  responses: {
    200: { description: "The versions", content: { "application/json": { schema: VersionListSchema } } },
  },
});

/** Registers the changelog and the versioned OpenAPI document (`config` is the document's base). */
export function registerVersionRoutes(
  app: OpenAPIHono<AppEnv>,
  chain: VersionChain,
  config: Parameters<OpenAPIHono<AppEnv>["getOpenAPI31Document"]>[0],
) {
  app.openapi(listVersionsRoute, (c) => {
    const data = [...apiVersionCatalogue].reverse().map((v) => ({
      object: "api_version" as const,
      version: v.version,
      latest: v.version === LATEST_API_VERSION,
      deprecated: v.deprecated,
      sunset: v.sunset,
      changes: chain.changesIn(v.version).map(({ name, description }) => ({ name, description })),
    }));
    return c.json({ object: "list" as const, data, has_more: false as const }, 200);
  });

  // Built on first use (every route is registered by then), once per version.
  const documents = new Map<ApiVersion, Json>();
  app.get("/v1/openapi.json", (c) => {
    const parsed = apiVersionSchema.safeParse(c.req.query("version") ?? LATEST_API_VERSION);
    if (!parsed.success) {
      throw new ApiError("invalid_api_version", `Unknown API version; see GET ${CHANGELOG_PATH}.`, {
        param: "version",
      });
    }
    const version = parsed.data;
    let doc = documents.get(version);
    if (!doc) {
      const newest = app.getOpenAPI31Document(config) as unknown as Json;
      doc = openApiForVersion(newest, version, chain);
      documents.set(version, doc);
    }
    return c.json(doc, 200, versionHeaders(version, new Date()));
  });
}
