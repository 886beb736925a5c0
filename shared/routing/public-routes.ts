// The partner API's routes: the only requests the router forwards to a cell. An allow-list, not a
// prefix: anything else (a cell's internal API, its /metrics, a path that only resolves to a
// route after someone normalises it) is answered by the router and never reaches a cell.
// public-routes.test.ts builds the gateway app and fails when it and this list differ.

export type PublicMethod = "GET" | "POST" | "DELETE";

export interface PublicRoute {
  method: PublicMethod;
  /** Hono's template syntax; a `:param` segment matches one id (see ID_SEGMENT). */
  path: string;
  /** `docs` routes need no key and any active cell answers them; `partner` routes go to the key's cell. */
  kind: "docs" | "partner";
}

const docs = (path: string): PublicRoute => ({ method: "GET", path, kind: "docs" });
const route = (method: PublicMethod, path: string): PublicRoute => ({ method, path, kind: "partner" });

export const publicRoutes: readonly PublicRoute[] = [
  docs("/docs"),
  docs("/v1/openapi.json"),
  docs("/v1/versions"),
  route("POST", "/v1/payments"),
  route("GET", "/v1/payments"),
  route("GET", "/v1/payments/:id"),
  route("POST", "/v1/payments/:id/capture"),
  route("POST", "/v1/payments/:id/cancel"),
  route("POST", "/v1/refunds"),
  route("GET", "/v1/refunds"),
  route("GET", "/v1/refunds/:id"),
  route("POST", "/v1/card_tokens"),
  route("DELETE", "/v1/card_tokens/:id"),
  route("GET", "/v1/balance"),
  route("GET", "/v1/settlements"),
  route("GET", "/v1/settlements/:id"),
  route("GET", "/v1/events"),
  route("GET", "/v1/events/:id"),
  route("POST", "/v1/webhook_endpoints"),
  route("GET", "/v1/webhook_endpoints"),
  route("GET", "/v1/webhook_endpoints/:id"),
  route("POST", "/v1/webhook_endpoints/:id"),
  route("DELETE", "/v1/webhook_endpoints/:id"),
  route("POST", "/v1/webhook_endpoints/:id/roll_secret"),
  route("GET", "/v1/webhook_deliveries"),
  route("GET", "/v1/webhook_deliveries/:id/attempts"),
  route("POST", "/v1/webhook_deliveries/:id/resend"),
];

/** One id in a path: our ids are `prefix_` and base-36 (shared/ids.ts), at most 64 long like the schemas allow. */
export const ID_SEGMENT = /^[A-Za-z0-9_]{1,64}$/;

export type PublicRouteMatch =
  | { kind: "route"; route: PublicRoute }
  /** The path is a route's, the method is not: `allow` is the value of the Allow header. */
  | { kind: "method_not_allowed"; allow: string };

interface Node {
  literals: Map<string, Node>;
  param: Node | undefined;
  /** By method; the answers are built once, so a match allocates nothing. */
  routes: Map<string, PublicRouteMatch> | undefined;
  notAllowed: PublicRouteMatch;
}

const newNode = (): Node => ({
  literals: new Map(),
  param: undefined,
  routes: undefined,
  notAllowed: { kind: "method_not_allowed", allow: "" },
});

/** A segment trie, built once: matching walks the path once, with a map lookup per segment. */
function compile(routes: readonly PublicRoute[]): Node {
  const root = newNode();
  for (const r of routes) {
    let node = root;
    for (const segment of r.path.slice(1).split("/")) {
      if (segment.startsWith(":")) node = node.param ??= newNode();
      else {
        let next = node.literals.get(segment);
        if (!next) {
          next = newNode();
          node.literals.set(segment, next);
        }
        node = next;
      }
    }
    const match: PublicRouteMatch = { kind: "route", route: r };
    node.routes ??= new Map();
    node.routes.set(r.method, match);
    // HEAD is answered by the GET route (Hono does the same on the cell).
    if (r.method === "GET") node.routes.set("HEAD", match);
    const methods = routes.filter((x) => x.path === r.path).map((x) => x.method);
    node.notAllowed = { kind: "method_not_allowed", allow: methods.join(", ") };
  }
  return root;
}

const root = compile(publicRoutes);

/**
 * The public route `method` and `path` (as sent, without the query) ask for, or undefined when no
 * route has that path. Run unsafePathReason first: this only matches, it explains nothing.
 */
export function matchPublicRoute(method: string, path: string): PublicRouteMatch | undefined {
  if (path.charCodeAt(0) !== 47 /* / */) return undefined;
  let node: Node | undefined = root;
  let start = 1;
  while (node) {
    const end = path.indexOf("/", start);
    const segment = end === -1 ? path.slice(start) : path.slice(start, end);
    node = node.literals.get(segment) ?? (node.param && ID_SEGMENT.test(segment) ? node.param : undefined);
    if (end === -1) break;
    start = end + 1;
  }
  if (!node?.routes) return undefined;
  return node.routes.get(method) ?? node.notAllowed;
}
