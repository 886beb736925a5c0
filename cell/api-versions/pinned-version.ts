// The version a partner is pinned to, as its cell knows it (partners.settings.api_version, pushed
// by the control plane). No pin recorded means a partner from before versions existed.
import { type ApiVersion, isApiVersion, ORIGINAL_API_VERSION } from "../../shared/api-versions.ts";

export function pinnedVersion(settings: { api_version?: string | undefined }): ApiVersion {
  return isApiVersion(settings.api_version) ? settings.api_version : ORIGINAL_API_VERSION;
}
