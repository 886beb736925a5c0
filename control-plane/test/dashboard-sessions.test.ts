// Dashboard sessions over HTTP (no browser): a token is exchanged at the login form for a
// session cookie (HttpOnly, SameSite=Strict, Path=/dashboard, 30 minutes, Secure over TLS),
// stored hashed; a token in the URL is ignored; a viewer is enough, the bootstrap token is not;
// cross-origin posts are refused; revoking the token or logging out ends the session.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestControlPlane, type TestControlPlane } from "./control-plane-harness.ts";

let cp: TestControlPlane;
let origin: string;

beforeAll(async () => {
  cp = await startTestControlPlane();
  origin = new URL(cp.url).origin;
});
afterAll(async () => {
  await cp?.stop();
});

const login = (token: string, headers: Record<string, string> = {}) =>
  fetch(`${cp.url}/dashboard/login`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", origin, ...headers },
    body: new URLSearchParams({ token }),
  });

const sessionOf = (res: Response) => /cellpay_session=([^;]+)/.exec(res.headers.get("set-cookie") ?? "")?.[1];
const overview = (session: string) =>
  fetch(`${cp.url}/dashboard/api/overview`, { headers: { cookie: `cellpay_session=${session}` } });

describe("dashboard sessions", () => {
  it("exchanges a viewer token for a short-lived HttpOnly, SameSite=Strict cookie, stored hashed", async () => {
    const viewer = await cp.mintToken("viewer");
    const res = await login(viewer, { origin });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/dashboard");
    const cookie = res.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\/dashboard/);
    expect(cookie).toMatch(/Max-Age=1800/);
    expect(cookie).not.toMatch(/Secure/); // plain HTTP
    const session = sessionOf(res)!;
    expect(session).not.toContain(viewer);
    expect((await overview(session)).status).toBe(200);
    const sql = postgres(cp.postgresUrl, { max: 1, onnotice: () => {} });
    try {
      const rows = await sql`select * from dashboard_sessions`;
      expect(JSON.stringify(rows)).not.toContain(session);
    } finally {
      await sql.end();
    }
  });

  it("marks the cookie Secure when served over TLS", async () => {
    const res = await login(await cp.mintToken("viewer"), { origin, "x-forwarded-proto": "https" });
    expect(res.status).toBe(303);
    expect(res.headers.get("set-cookie")).toMatch(/Secure/);
  });

  it("ignores a token in the URL: the page redirects to the login form and sets no cookie", async () => {
    const res = await fetch(`${cp.url}/dashboard?token=${cp.adminToken}`, { redirect: "manual" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/dashboard/login");
    expect(res.headers.get("set-cookie")).toBeNull();
    const form = await (await fetch(`${cp.url}/dashboard/login`)).text();
    expect(form).toContain('method="post"');
  });

  it("refuses unknown and bootstrap tokens (401, audited) and cross-origin posts (403)", async () => {
    expect((await login("adm_not_a_real_token_at_all_0000", { origin })).status).toBe(401);
    expect((await login(cp.bootstrapToken, { origin })).status).toBe(401);
    const cross = await login(await cp.mintToken("viewer"), { origin: "https://evil.example" });
    expect(cross.status).toBe(403);
    expect(cross.headers.get("set-cookie")).toBeNull();
    const noOrigin = await fetch(`${cp.url}/dashboard/login`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: cp.adminToken }),
    });
    expect(noOrigin.status).toBe(403);
    const audit = await cp.admin("GET", "/admin/v1/audit-log?limit=100");
    const logins = audit.body.data.filter((e: { action: string }) => e.action === "dashboard.login");
    expect(logins.map((e: { status: number }) => e.status)).toContain(401);
  });

  it("ends the session at logout, and when its token is revoked", async () => {
    const made = await cp.admin("POST", "/admin/v1/admin-tokens", {
      name: "gina",
      role: "viewer",
      expires_at: new Date(Date.now() + 86_400_000).toISOString(),
    });
    const a = sessionOf(await login(made.body.token, { origin }))!;
    const b = sessionOf(await login(made.body.token, { origin }))!;
    const out = await fetch(`${cp.url}/dashboard/logout`, {
      method: "POST",
      redirect: "manual",
      headers: { origin, cookie: `cellpay_session=${a}` },
    });
    expect(out.status).toBe(303);
    expect(out.headers.get("set-cookie")).toMatch(/cellpay_session=;/);
    expect((await overview(a)).status).toBe(401);
    expect((await overview(b)).status).toBe(200);
    await cp.admin("DELETE", `/admin/v1/admin-tokens/${made.body.id}`);
    expect((await overview(b)).status).toBe(401);
  });
});
