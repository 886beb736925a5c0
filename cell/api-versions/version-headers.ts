// The headers every versioned answer carries: the version used, and for a version past its
// support window the RFC 9745 `Deprecation` (a structured date, `@<unix seconds>`), the RFC 8594
// `Sunset` (an HTTP date) and a link to the changelog.
import { API_VERSION_HEADER, type ApiVersion, apiVersionInfo } from "../../shared/api-versions.ts";

export const CHANGELOG_PATH = "/v1/versions";

export function versionHeaders(version: ApiVersion, now: Date): Record<string, string> {
  const headers: Record<string, string> = { [API_VERSION_HEADER]: version };
  const info = apiVersionInfo(version);
  if (info.deprecated !== null && now.getTime() >= Date.parse(info.deprecated)) {
    headers.Deprecation = `@${Math.floor(Date.parse(info.deprecated) / 1000)}`;
    if (info.sunset !== null) headers.Sunset = new Date(info.sunset).toUTCString();
    headers.Link = `<${CHANGELOG_PATH}>; rel="deprecation"`;
  }
  return headers;
}
