// Walks the version changes between the newest shape (the only one business code knows) and the
// version a partner, a request or a webhook endpoint asked for. Changes apply in order: requests
// are lifted oldest → newest, bodies are first lifted to the newest shape (stored objects may be
// older than a change) and then taken down newest → oldest to the target version.
import { type ApiVersion, apiVersions } from "../../shared/api-versions.ts";
import { versionChanges } from "./changes/index.ts";
import type { Json, RequestTransform, VersionChange } from "./version-change.ts";

const rank = new Map(apiVersions.map((v, i) => [v, i]));
const newer = (a: ApiVersion, b: ApiVersion) => rank.get(a)! > rank.get(b)!;

export interface VersionChain {
  /** The changes `version` introduced. */
  changesIn(version: ApiVersion): readonly VersionChange[];
  /** Changes a partner on `version` does not see yet, oldest first. */
  changesAfter(version: ApiVersion): readonly VersionChange[];
  /** A request body written for `from`, in the newest shape. `path` is the request's path. */
  upgradeRequest(method: string, path: string, body: unknown, from: ApiVersion): unknown;
  /** Newest → older field names of the requests lifted on this path (for error `param`s). */
  requestParamNames(method: string, path: string, from: ApiVersion): Record<string, string>;
  /** True when some change lifts requests to this path (so the body must be read first). */
  hasRequestChanges(method: string, path: string, from: ApiVersion): boolean;
  /** A response body or an event, in the shape of `to`. */
  render(value: unknown, to: ApiVersion): unknown;
}

export function createVersionChain(changes: readonly VersionChange[] = versionChanges): VersionChain {
  const sorted = [...changes].sort((a, b) => rank.get(a.version)! - rank.get(b.version)!);
  const after = new Map(apiVersions.map((v) => [v, sorted.filter((c) => newer(c.version, v))]));
  const downFrom = new Map(apiVersions.map((v) => [v, [...after.get(v)!].reverse()]));
  const all = after.get(apiVersions[0])!;

  const pathPattern = new Map<RequestTransform, RegExp>();
  for (const change of sorted) {
    for (const r of change.requests ?? []) {
      pathPattern.set(r, new RegExp(`^${r.path.replace(/:[A-Za-z_]+/g, "[^/]+")}$`));
    }
  }

  function requestTransforms(method: string, path: string, from: ApiVersion): RequestTransform[] {
    const out: RequestTransform[] = [];
    for (const change of after.get(from) ?? []) {
      for (const r of change.requests ?? []) {
        if (r.method === method && pathPattern.get(r)!.test(path)) out.push(r);
      }
    }
    return out;
  }

  function renderObject(obj: Json, down: readonly VersionChange[]): Json {
    let out: Json = obj;
    for (const [k, v] of Object.entries(obj)) {
      if (v !== null && typeof v === "object") {
        const rendered = renderValue(v, down);
        if (rendered !== v) out = { ...out, [k]: rendered };
      }
    }
    const type = out.object;
    if (typeof type !== "string") return out;
    for (const change of all) {
      const t = change.objects?.[type];
      if (t) out = t.up(out);
    }
    for (const change of down) {
      const t = change.objects?.[type];
      if (t) out = t.down(out);
    }
    return out;
  }

  function renderValue(value: unknown, down: readonly VersionChange[]): unknown {
    if (Array.isArray(value)) return value.map((v) => renderValue(v, down));
    if (value !== null && typeof value === "object") return renderObject(value as Json, down);
    return value;
  }

  return {
    changesIn: (version) => sorted.filter((c) => c.version === version),
    changesAfter: (version) => after.get(version) ?? [],
    requestParamNames(method, path, from) {
      const names: Record<string, string> = {};
      for (const r of requestTransforms(method, path, from)) Object.assign(names, r.paramNames);
      return names;
    },
    hasRequestChanges: (method, path, from) => requestTransforms(method, path, from).length > 0,
    upgradeRequest(method, path, body, from) {
      if (body === null || typeof body !== "object" || Array.isArray(body)) return body;
      let out = body as Json;
      for (const r of requestTransforms(method, path, from)) out = r.up(out);
      return out;
    },
    render: (value, to) => renderValue(value, downFrom.get(to) ?? []),
  };
}
