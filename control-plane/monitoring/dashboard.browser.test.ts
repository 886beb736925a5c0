// The operators' dashboard in a real headless Chromium (Debian's, driven by playwright-core): a
// control plane with one real cell registered and a partner onboarded through it; an operator
// logs in through the form with a viewer token (a session cookie, no token in any URL), the page
// loads without console errors, lists the cell, its numbers move once payments flow, and logging
// out ends the session. The cell's backup status file (written the way the scheduler writes it)
// shows in the backups panel, escaped, and raises its alerts. Also checks the alerts and backups
// APIs and the Prometheus text of the gateway and the control plane. Skipped, saying why, without
// chromium.
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { updateBackupStatus } from "../../platform/backup-status.ts";
import { card, client, startTestCell, type TestCell } from "../../test/harness.ts";
import {
  startTestControlPlane,
  TEST_METRICS_TOKEN,
  type TestControlPlane,
} from "../test/control-plane-harness.ts";

const CHROMIUM = "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium)
  console.warn(`dashboard browser test skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);

let cp: TestControlPlane;
let cell: TestCell;
let browser: BrowserContext;
let profile: string;
let partner: { id: string; api_key: string };
let viewerToken: string;
let backupRoot: string;
const HOSTILE = '<img src=x onerror="document.title=1">';

/** cell-a's stanza: a full 3 h ago, an incremental 20 min ago, WAL 7 min behind, one failed run. */
async function writeBackupStatus(): Promise<void> {
  const repo = join(backupRoot, "cell-a");
  await mkdir(repo, { recursive: true });
  const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
  const run = (type: "full" | "incr", ms: number) => ({
    type,
    label: `label-${type}`,
    started_at: ago(ms + 60_000),
    finished_at: ago(ms),
    verified: true,
  });
  await updateBackupStatus("cell-a", repo, (s) => {
    s.last_full = run("full", 3 * 3_600_000);
    // Mid-way in their display buckets ("20 min", "7 min"), so a slow start does not flip them.
    s.last_incr = run("incr", 20 * 60_000 - 15_000);
    s.consecutive_failures = 1;
    s.last_failure = { at: ago(60_000), message: `pgbackrest said ${HOSTILE}` };
    s.wal_archive = {
      checked_at: ago(5_000),
      last_archived_wal: "000000010000000000000009",
      last_archived_at: ago(400_000),
      pending_segments: 5,
      lag_s: 420,
      failed_count: 0,
      last_failed_at: null,
    };
    s.last_restore = {
      at: ago(2 * 86_400_000),
      as_cell: "cell-a-drill",
      target: "latest",
      duration_s: 94,
      drill: true,
      figures_match: true,
    };
  });
}

beforeAll(async () => {
  if (!haveChromium) return;
  backupRoot = await mkdtemp(join(tmpdir(), "cellpay-dashboard-backups-"));
  [cp, cell] = await Promise.all([
    startTestControlPlane({ backupDir: backupRoot }),
    startTestCell({ CELLPAY_CELL_ID: "cell-a" }),
  ]);
  const reg = await cp.admin("POST", "/admin/v1/cells", {
    id: "cell-a",
    weight: 1,
    gateways: [cell.url],
    internal_gateways: [cell.internalUrl],
  });
  expect(reg.status).toBe(201);
  const onboarded = await cp.admin("POST", "/admin/v1/partners", { name: "Dashboard Partner" });
  expect(onboarded.status, JSON.stringify(onboarded.body)).toBe(201);
  partner = { id: onboarded.body.id, api_key: onboarded.body.api_key };
  viewerToken = await cp.mintToken("viewer", "dashboard watcher");
  await writeBackupStatus(); // the monitor reads it from its next round on
  profile = await mkdtemp(join(tmpdir(), "cellpay-chromium-"));
  // A fresh profile per run (playwright passes it to chromium as --user-data-dir).
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([cp?.stop(), cell?.stop()]);
  if (profile) await rm(profile, { recursive: true, force: true });
  if (backupRoot) await rm(backupRoot, { recursive: true, force: true });
});

async function traffic(ms: number): Promise<void> {
  const pay = client(cell.url, partner.api_key);
  const until = Date.now() + ms;
  while (Date.now() < until) {
    await Promise.all(
      Array.from({ length: 5 }, () =>
        pay("POST", "/v1/payments", { amount: 1000, currency: "EUR", payment_method: card() }),
      ),
    );
  }
}

describe.skipIf(!haveChromium)("live dashboard", () => {
  it("loads without console errors, lists the cell, and its numbers move when payments flow", async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(m.text());
    });
    page.on("pageerror", (e) => problems.push(e.message));

    const urls: string[] = [];
    page.on("request", (r) => urls.push(r.url()));
    await page.goto(`${cp.url}/dashboard`);
    expect(new URL(page.url()).pathname).toBe("/dashboard/login"); // not logged in yet
    await page.fill("#token", viewerToken);
    await Promise.all([page.waitForURL(`${cp.url}/dashboard`), page.click("button[type=submit]")]);
    const [session] = await browser.cookies(`${cp.url}/dashboard`);
    expect(session).toMatchObject({
      name: "cellpay_session",
      httpOnly: true,
      sameSite: "Strict",
      secure: false, // plain HTTP here; Secure over TLS (dashboard-sessions.test.ts)
      path: "/dashboard",
    });
    expect(session!.value).not.toContain(viewerToken);
    const row = page.locator('#cells tr[data-cell="cell-a"]');
    await row.waitFor({ timeout: 15_000 });
    expect(await row.locator("td").nth(4).textContent()).toBe("1"); // partners
    // The cell's database layout, read by the health checker: a single copy, one primary.
    const db = page.locator('#databases tr[data-cell="cell-a"]');
    await db.waitFor({ timeout: 15_000 });
    expect(await db.locator("td").nth(1).textContent()).toMatch(/:\d+$/); // the primary's address
    expect(await db.locator("td").nth(3).textContent()).toBe("none (single copy)");
    // The backups panel: ages, the archive's lag, the failure text as text (not markup), the drill.
    const bk = page.locator('#backups tr[data-cell="cell-a"]');
    await bk.waitFor({ timeout: 15_000 });
    const td = async (i: number) => (await bk.locator("td").nth(i).textContent()) ?? "";
    expect(await td(1)).toBe("3.0 h ago");
    expect(await td(2)).toBe("none");
    expect(await td(3)).toBe("20 min ago");
    expect(await td(4)).toMatch(/^420 s · 5 waiting · 000000010000000000000009 7 min ago$/);
    expect(await td(6)).toBe(`1 in a row: pgbackrest said ${HOSTILE}`);
    expect(await page.locator("#backups img").count()).toBe(0);
    expect(await td(7)).toBe("drill 2.0 d ago → cell-a-drill (latest), 94 s");

    await traffic(5_000);
    await page.waitForFunction(
      () => {
        const tps = document.querySelector('#cells tr[data-cell="cell-a"] td:nth-child(6)')?.textContent;
        return tps !== undefined && tps !== null && Number(tps) > 0;
      },
      undefined,
      { timeout: 15_000 },
    );
    await page.locator("#top-traffic a", { hasText: "Dashboard Partner" }).waitFor({ timeout: 10_000 });
    // Held for forRounds by now: the lag alert is open (critical) in the panel and the alert list.
    await page
      .locator('#backups tr[data-cell="cell-a"] td:nth-child(9) .critical', { hasText: /^wal_archive_lag$/ })
      .waitFor({ timeout: 15_000 });
    await page.locator("#alerts tr", { hasText: "wal_archive_lag" }).waitFor({ timeout: 5_000 });
    expect(await page.locator('#charts [data-cell="cell-a"] canvas').count()).toBeGreaterThan(0);

    await page.screenshot({ path: join(tmpdir(), "cellpay-dashboard.png"), fullPage: true });
    await page.locator("#top-traffic a", { hasText: "Dashboard Partner" }).click();
    await page.locator("#title", { hasText: partner.id }).waitFor({ timeout: 10_000 });
    expect(problems).toEqual([]);
    await page.screenshot({ path: join(tmpdir(), "cellpay-dashboard-partner.png") });
    expect(urls.filter((u) => u.includes(viewerToken) || u.includes("token="))).toEqual([]);

    await page.goto(`${cp.url}/dashboard`);
    await Promise.all([page.waitForURL(`${cp.url}/dashboard/login`), page.click("#logout")]);
    expect(await browser.cookies(`${cp.url}/dashboard`)).toEqual([]);
    const after = await fetch(`${cp.url}/dashboard/api/overview`, {
      headers: { cookie: `cellpay_session=${session!.value}` },
    });
    expect(after.status).toBe(401);
  });

  it("refuses the dashboard without an admin token and lists alerts through the admin API", async () => {
    const res = await fetch(`${cp.url}/dashboard/api/overview`);
    expect(res.status).toBe(401);
    const alerts = await cp.admin("GET", "/admin/v1/alerts");
    expect(alerts.status).toBe(200);
    expect(alerts.body.object).toBe("list");
    // The backup rules, once they have held for forRounds monitoring rounds.
    type Open = { rule: string; severity: string; cell?: string };
    const backupAlerts = async () =>
      ((await cp.admin("GET", "/admin/v1/alerts")).body.data as Open[]).filter(
        (a) => a.cell === "cell-a" && /^(wal_|backup_)/.test(a.rule),
      );
    let open = await backupAlerts();
    for (let i = 0; i < 60 && open.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 250));
      open = await backupAlerts();
    }
    expect(open.map((a) => [a.rule, a.severity]).sort()).toEqual([
      ["backup_failing", "warning"],
      ["wal_archive_lag", "critical"],
    ]);

    const backups = await cp.admin("GET", "/admin/v1/backups");
    expect(backups.status).toBe(200);
    expect(backups.body.data).toHaveLength(1);
    expect(backups.body.data[0]).toMatchObject({
      cell_id: "cell-a",
      configured: true,
      alerts: ["backup_failing", "wal_archive_lag"],
      status: { wal_archive: { lag_s: 420 }, last_restore: { drill: true, duration_s: 94 } },
    });
    const metrics = await (
      await fetch(`${cp.url}/metrics`, { headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` } })
    ).text();
    expect(metrics).toMatch(
      /^cellpay_wal_archive_lag_seconds\{service="control-plane",cell="cell-a"\} 420$/m,
    );
    expect(metrics).toMatch(
      /^cellpay_backup_consecutive_failures\{service="control-plane",cell="cell-a"\} 1$/m,
    );
    const age = /^cellpay_backup_age_seconds\{service="control-plane",cell="cell-a"\} (\S+)$/m.exec(metrics);
    expect(Number(age?.[1])).toBeGreaterThanOrEqual(19 * 60);
  });

  it("serves Prometheus text from the gateway by route pattern, to the metrics-scrape credential only", async () => {
    // Only on the internal listener: the public port (the routers' target) has no /metrics.
    expect((await fetch(`${cell.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${cell.internalUrl}/metrics`)).status).toBe(401);
    const text = await (
      await fetch(`${cell.internalUrl}/metrics`, {
        headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` },
      })
    ).text();
    expect(text).toContain('route="/v1/payments",method="POST",status_class="2xx"');
    expect(text).not.toContain(partner.id);
    expect(text).toMatch(
      /cellpay_acquirer_duration_seconds_count\{[^}]*operation="authorize",outcome="approved"\} \d+/,
    );
  });
});
