// Admin identities and roles against a real control plane: the role matrix (every /admin/v1
// route the app registers × every role → allowed or 403, generated from the app's routes and the
// permission map, so a route added without a permission fails here), what a token may mint, the
// bootstrap token's one job, `reason` on destructive calls, expiry, revocation and last use.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintableRoles, roleHas } from "../admin-tokens/roles.ts";
import { createControlPlaneApp } from "../app.ts";
import { publicAdminRoutes, routeKey, routePermissions } from "../middleware/route-permissions.ts";
import { startTestControlPlane, type TestControlPlane } from "./control-plane-harness.ts";

let cp: TestControlPlane;
const tokens: Record<string, string> = {};
const inADay = () => new Date(Date.now() + 86_400_000).toISOString();

beforeAll(async () => {
  cp = await startTestControlPlane();
  tokens.admin = cp.adminToken;
  for (const role of mintableRoles) if (role !== "admin") tokens[role] = await cp.mintToken(role);
});
afterAll(async () => {
  await cp?.stop();
});

/** Every handler route the app registers under /admin/v1, as permission-map keys. */
function registeredAdminRoutes(): string[] {
  const app = createControlPlaneApp(cp.running.deps);
  const keys = app.routes
    .filter((r) => r.method !== "ALL" && r.path.startsWith("/admin/v1/"))
    .map((r) => routeKey(r.method, r.path))
    .filter((k) => !publicAdminRoutes.has(k));
  return [...new Set(keys)].sort();
}

describe("the permission map", () => {
  it("names every registered admin route, and only registered ones", () => {
    const registered = registeredAdminRoutes();
    expect(registered.length).toBeGreaterThan(20);
    const missing = registered.filter((k) => routePermissions[k] === undefined);
    expect(missing, "routes without a permission (add them to middleware/route-permissions.ts)").toEqual([]);
    expect(Object.keys(routePermissions).sort()).toEqual(registered);
  });

  it("is enforced: every route × every role is allowed (not 401/403) or 403 admin_permission_denied", async () => {
    const routes = registeredAdminRoutes();
    const outcomes: string[] = [];
    for (const key of routes) {
      const [method, template] = key.split(" ") as [string, string];
      // A missing id: an allowed call ends in 400/404 and changes nothing.
      const path = template.replace(/\{[^}]+\}/g, "matrix_does_not_exist");
      const body = method === "GET" || method === "DELETE" ? undefined : { reason: "role matrix" };
      for (const role of mintableRoles) {
        const res = await cp.admin(method, path, body, tokens[role]);
        const allowed = roleHas(role, routePermissions[key]!.permission);
        if (allowed) {
          expect([401, 403], `${role} ${key} → ${res.status} ${JSON.stringify(res.body)}`).not.toContain(
            res.status,
          );
          expect(res.status, `${role} ${key}`).toBeLessThan(500);
        } else {
          expect(res.status, `${role} ${key}`).toBe(403);
          expect(res.body.error.code).toBe("admin_permission_denied");
        }
        outcomes.push(`${role} ${key} ${allowed ? "allowed" : "403"}`);
      }
    }
    expect(outcomes).toHaveLength(routes.length * mintableRoles.length);
    // The roles' shape, as the README documents it.
    expect(outcomes).toContain("viewer GET /admin/v1/partners allowed");
    expect(outcomes).toContain("viewer GET /admin/v1/audit 403");
    expect(outcomes).toContain("auditor GET /admin/v1/audit allowed");
    expect(outcomes).toContain("auditor POST /admin/v1/partners/{id}/suspend 403");
    expect(outcomes).toContain("operator POST /admin/v1/cells/{id}/drain allowed");
    expect(outcomes).toContain("operator POST /admin/v1/partners 403");
    expect(outcomes).toContain("partner_manager POST /admin/v1/partners/{id}/suspend allowed");
    expect(outcomes).toContain("partner_manager PUT /admin/v1/cells/{id}/state 403");
    expect(outcomes).toContain("partner_manager POST /admin/v1/cells 403");
    expect(outcomes).toContain("operator POST /admin/v1/admin-tokens 403");
  });
});

describe("admin tokens", () => {
  it("shows a token once, keeps only its hash, and lists name, role, expiry and last use", async () => {
    const made = await cp.admin("POST", "/admin/v1/admin-tokens", {
      name: "carol",
      role: "viewer",
      expires_at: inADay(),
    });
    expect(made.status).toBe(201);
    expect(made.body.token).toMatch(/^adm_[A-Za-z0-9_-]{43}$/);
    expect((await cp.admin("GET", "/admin/v1/cells", undefined, made.body.token)).status).toBe(200);
    const list = await cp.admin("GET", "/admin/v1/admin-tokens");
    const carol = list.body.data.find((t: { id: string }) => t.id === made.body.id);
    expect(carol).toMatchObject({ name: "carol", role: "viewer", revoked_at: null });
    expect(carol.last_used_at).not.toBeNull();
    expect(JSON.stringify(list.body)).not.toContain(made.body.token);
    const sql = postgres(cp.postgresUrl, { max: 1, onnotice: () => {} });
    try {
      const [row] = await sql`select * from admin_tokens where id = ${made.body.id}`;
      expect(JSON.stringify(row)).not.toContain(made.body.token);
    } finally {
      await sql.end();
    }
  });

  it("mints only roles the minter holds, never beyond its own expiry, at most a year ahead", async () => {
    for (const role of ["operator", "partner_manager", "auditor", "viewer"]) {
      const res = await cp.admin(
        "POST",
        "/admin/v1/admin-tokens",
        { name: "x", role: "admin", expires_at: inADay() },
        tokens[role],
      );
      expect(res.status).toBe(403);
    }
    const past = await cp.admin("POST", "/admin/v1/admin-tokens", {
      name: "x",
      role: "viewer",
      expires_at: "2020-01-01T00:00:00Z",
    });
    expect(past.status).toBe(400);
    expect(past.body.error.param).toBe("expires_at");
    const far = new Date(Date.now() + 400 * 86_400_000).toISOString();
    const tooLong = await cp.admin("POST", "/admin/v1/admin-tokens", {
      name: "x",
      role: "viewer",
      expires_at: far,
    });
    expect(tooLong.status).toBe(400);
    // The harness's admin token lives 7 days: it cannot mint one that outlives it.
    const outlive = new Date(Date.now() + 8 * 86_400_000).toISOString();
    const longer = await cp.admin("POST", "/admin/v1/admin-tokens", {
      name: "x",
      role: "viewer",
      expires_at: outlive,
    });
    expect(longer.status).toBe(400);
    const badRole = await cp.admin("POST", "/admin/v1/admin-tokens", {
      name: "x",
      role: "root",
      expires_at: inADay(),
    });
    expect(badRole.status).toBe(400);
    expect(badRole.body.error.param).toBe("role");
  });

  it("refuses the bootstrap token for everything once an admin exists", async () => {
    const boot = cp.bootstrapToken;
    const mint = await cp.admin(
      "POST",
      "/admin/v1/admin-tokens",
      { name: "y", role: "admin", expires_at: inADay() },
      boot,
    );
    expect(mint.status).toBe(403);
    expect(mint.body.error.code).toBe("admin_permission_denied");
    expect((await cp.admin("GET", "/admin/v1/cells", undefined, boot)).status).toBe(403);
  });

  it("revokes a token at once; an unknown id is 404", async () => {
    const t = await cp.admin("POST", "/admin/v1/admin-tokens", {
      name: "dave",
      role: "operator",
      expires_at: inADay(),
    });
    expect((await cp.admin("GET", "/admin/v1/cells", undefined, t.body.token)).status).toBe(200);
    const revoked = await cp.admin("DELETE", `/admin/v1/admin-tokens/${t.body.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revoked_at).not.toBeNull();
    const after = await cp.admin("GET", "/admin/v1/cells", undefined, t.body.token);
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe("admin_token_required");
    expect((await cp.admin("DELETE", "/admin/v1/admin-tokens/atk_nope")).status).toBe(404);
  });
});

describe("reason", () => {
  const ghost = "ptr_0000000000doesnotexist0";
  it("is required (400 reason_required, param reason) by every destructive call, before anything else", async () => {
    const calls: [string, string, Record<string, unknown> | undefined][] = [
      ["POST", `/admin/v1/partners/${ghost}/suspend`, undefined],
      ["POST", `/admin/v1/partners/${ghost}/suspend`, { reason: "   " }],
      ["POST", `/admin/v1/partners/${ghost}/move`, { target_cell_id: "cell-b" }],
      ["POST", `/admin/v1/partners/${ghost}/keys`, { mode: "live" }],
      ["POST", `/admin/v1/partners/${ghost}/enable-live`, {}],
      ["PUT", "/admin/v1/cells/cell-a/state", { state: "down" }],
      ["POST", "/admin/v1/cells/cell-a/drain", {}],
    ];
    for (const [method, path, body] of calls) {
      const res = await cp.admin(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(400);
      expect(res.body.error).toMatchObject({ code: "reason_required", param: "reason" });
    }
    // With a reason they get as far as the missing target; a test key needs none.
    expect((await cp.admin("POST", `/admin/v1/partners/${ghost}/suspend`, { reason: "fraud" })).status).toBe(
      404,
    );
    expect((await cp.admin("POST", `/admin/v1/partners/${ghost}/keys`, { mode: "test" })).status).toBe(404);
    expect(
      (await cp.admin("PUT", "/admin/v1/cells/cell-a/state", { state: "down", reason: "x" })).status,
    ).toBe(404);
  });
});
