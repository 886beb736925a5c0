// The OpenAPI document of one version: the generated one (newest shape, from the route schemas)
// with each newer change's schema edits applied, newest first, and the version's changes listed.
import type { ApiVersion } from "../../shared/api-versions.ts";
import type { VersionChain } from "./version-chain.ts";
import type { Json } from "./version-change.ts";

export function openApiForVersion(newest: Json, version: ApiVersion, chain: VersionChain): Json {
  const doc = structuredClone(newest);
  const components = (doc.components ?? {}) as Json;
  const schemas = (components.schemas ?? {}) as Record<string, Json>;
  const pending = chain.changesAfter(version);
  for (const change of [...pending].reverse()) {
    for (const [name, edit] of Object.entries(change.schemas ?? {})) {
      const schema = schemas[name];
      if (schema) schemas[name] = edit(schema);
    }
  }
  const info = { ...(doc.info as Json) };
  info.version = version;
  const notes = pending.length
    ? `\n\n### API version ${version}\nThis document shows version ${version}. Newer versions changed:\n${pending
        .map((c) => `- **${c.version}** (${c.name}): ${c.description}`)
        .join("\n")}`
    : `\n\n### API version ${version}\nThis is the newest version.`;
  info.description = `${(info.description as string | undefined) ?? ""}${notes}`;
  doc.info = info;
  return doc;
}
