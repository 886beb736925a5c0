// The operators' dashboard in a real headless Chromium (Debian's, driven by playwright-core): a
// control plane with one real cell registered and a partner onboarded through it; an operator
// logs in through the form with a viewer token (a session cookie, no token in any URL), the page
// loads without console errors, lists the cell, its numbers move once payments flow, and logging
// out ends the session. Also checks
// the alerts API and the Prometheus text of the gateway. Skipped, saying why, without chromium.
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

beforeAll(async () => {
  if (!haveChromium) return;
  [cp, cell] = await Promise.all([startTestControlPlane(), startTestCell({ CELLPAY_CELL_ID: "cell-a" })]);
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
