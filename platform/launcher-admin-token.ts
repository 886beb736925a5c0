// The `admin` token `npm start` prints and the CLI reads (.data/admin-token, mode 0600). The
// control plane's bootstrap token (.data/bootstrap-token) can only create the first admin, so
// the launcher keeps the admin token it made and reuses it; it mints a new one through the
// bootstrap only when the kept one no longer works (first start, expired, revoked).
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";

const LIFETIME_DAYS = 90;

export async function ensureLauncherAdminToken(
  file: string,
  controlPlaneUrl: string,
  bootstrapToken: string,
): Promise<string> {
  if (existsSync(file)) {
    const kept = (await readFile(file, "utf8")).trim();
    const res = await fetch(`${controlPlaneUrl}/admin/v1/admin-tokens`, {
      headers: { authorization: `Bearer ${kept}` },
    });
    if (res.ok) return kept;
  }
  const res = await fetch(`${controlPlaneUrl}/admin/v1/admin-tokens`, {
    method: "POST",
    headers: { authorization: `Bearer ${bootstrapToken}`, "content-type": "application/json" },
    body: JSON.stringify({
      name: "npm start (local admin)",
      role: "admin",
      expires_at: new Date(Date.now() + LIFETIME_DAYS * 86_400_000).toISOString(),
    }),
  });
  const body = (await res.json()) as { token?: string; error?: { message: string } };
  if (!res.ok || !body.token) {
    throw new Error(
      `creating the local admin token failed: ${body.error?.message ?? res.status} (another admin token exists: put it in ${file})`,
    );
  }
  await writeFile(file, `${body.token}\n`, { mode: 0o600 });
  return body.token;
}
