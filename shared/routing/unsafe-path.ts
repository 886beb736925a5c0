// The one check of a request's raw path, shared by the router and the cell's public port: a path
// that a URL parser, a proxy or a framework could read as another path is refused before anyone
// routes it. We allow-list characters instead of deny-listing encodings: no route of the API
// needs more than letters, digits, `_`, `-` and `.` between slashes, so `%2e`, `%252e`, `%2f`,
// `%5c`, `\`, `;`, NUL or a fullwidth dot never need to be understood, only refused.
// (Background: the router once checked the raw path by prefix while the cell resolved the dot
// segments, so `/docs/../internal/v1/…` reached the cell's internal API.)

/** Longer paths are refused: no route comes near it, and it bounds what the matchers look at. */
export const MAX_PATH_LENGTH = 2048;

/**
 * The common case in one native test: `/segment/segment…`, safe characters, no dot segments. A
 * trailing slash passes (no parser reads it as another path; the routes answer it with 404).
 */
const safePath = /^(?:\/(?!\.\.?(?:\/|$))[A-Za-z0-9._-]+)+\/?$/;

/**
 * A request target in origin form (`/path?query`). An absolute-form target
 * (`GET http://host/v1/… HTTP/1.1`, which servers must accept) gives what follows its authority;
 * anything else (`*`, garbage) is returned as it is, and its path is then refused.
 */
export function originForm(target: string): string {
  if (target.charCodeAt(0) === 47 /* / */) return target;
  const scheme = target.indexOf("://");
  if (scheme === -1) return target;
  const slash = target.indexOf("/", scheme + 3);
  return slash === -1 ? "" : target.slice(slash);
}

/** The path of a request target as sent: its origin form up to the query. */
export function pathOfRequestTarget(target: string): string {
  const origin = originForm(target);
  const q = origin.indexOf("?");
  return q === -1 ? origin : origin.slice(0, q);
}

/**
 * Why `rawPath` (a path as sent, without its query) is refused, as a sentence for the partner; or
 * undefined when it is safe to route. Only the first reason found is named.
 */
export function unsafePathReason(rawPath: string): string | undefined {
  if (rawPath.length > MAX_PATH_LENGTH) return `The path is longer than ${MAX_PATH_LENGTH} characters.`;
  if (rawPath === "/" || safePath.test(rawPath)) return undefined;
  return explain(rawPath);
}

/** The slow path, for refused paths only: name what is wrong. */
function explain(path: string): string {
  if (path.charCodeAt(0) !== 47) return "The path must start with '/'.";
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return "The path contains a control character.";
    if (c > 0x7e) return "The path contains a character outside ASCII.";
  }
  if (path.includes("%")) return "The path contains percent-encoded characters; no route uses them.";
  if (path.includes("\\")) return "The path contains a backslash.";
  if (path.includes("//")) return "The path contains an empty segment ('//').";
  if (/(?:^|\/)\.\.?(?:\/|$)/.test(path)) return "The path contains a '.' or '..' segment.";
  return "The path contains a character no route uses.";
}
