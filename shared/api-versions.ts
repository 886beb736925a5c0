// The dated API versions: one fixed, known list shared by the control plane (a partner's pin,
// validated on set-version) and the cells (which render every answer in it). A version's changes
// live in cell/api-versions/changes/; this file only names the versions and their support windows.
import { z } from "zod";

export interface ApiVersionInfo {
  version: string;
  /** When the version stopped being the newest one (its successor's release); null while it is. */
  deprecated: string | null;
  /** After this date the version may be removed; partners pinned to it are told by `Sunset`. */
  sunset: string | null;
}

/** Oldest first. The first one is the API as it was before versions existed. */
export const apiVersionCatalogue = [
  { version: "2026-06-01", deprecated: "2026-12-01", sunset: "2027-12-01" },
  { version: "2026-12-01", deprecated: null, sunset: null },
] as const satisfies readonly ApiVersionInfo[];

export type ApiVersion = (typeof apiVersionCatalogue)[number]["version"];

export const apiVersions = apiVersionCatalogue.map((v) => v.version) as [ApiVersion, ...ApiVersion[]];
/** What partners onboarded from now on are pinned to. */
export const LATEST_API_VERSION: ApiVersion = apiVersions[apiVersions.length - 1]!;
/** What a partner or an endpoint with no recorded pin gets: the shape it had before versions existed. */
export const ORIGINAL_API_VERSION: ApiVersion = apiVersions[0];

/** For a zod-openapi schema (`z.enum(apiVersions, apiVersionError)`), so the message names them. */
export const apiVersionError = { error: () => `must be one of the API versions: ${apiVersions.join(", ")}` };

export const apiVersionSchema = z.enum(apiVersions, apiVersionError);

/** The request header that overrides the partner's pin for one request; every answer echoes it. */
export const API_VERSION_HEADER = "Cellpay-Version";

export function isApiVersion(value: unknown): value is ApiVersion {
  return typeof value === "string" && (apiVersions as readonly string[]).includes(value);
}

export function apiVersionInfo(version: ApiVersion): ApiVersionInfo {
  return apiVersionCatalogue.find((v) => v.version === version)!;
}
