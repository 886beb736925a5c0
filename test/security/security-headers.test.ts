// The HTML pages we serve (a cell's API docs, the control plane's dashboard) carry a
// Content-Security-Policy that allows only their own inline blocks and same-origin files and
// forbids framing, plus nosniff, no Referer and X-Frame-Options DENY; and they still work under it
// in a real Chromium (a blocked script or style is a console error there).
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  startTestControlPlane,
  type TestControlPlane,
} from "../../control-plane/test/control-plane-harness.ts";
import { inlineHashes } from "../../shared/page-security-headers.ts";
import { startTestCell, type TestCell } from "../harness.ts";

const CHROMIUM = "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium)
  console.warn(`docs browser check skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);

let cell: TestCell;
let cp: TestControlPlane;

beforeAll(async () => {
  [cell, cp] = await Promise.all([startTestCell(), startTestControlPlane()]);
});
afterAll(() => Promise.all([cell?.stop(), cp?.stop()]));

function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(";")
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...sources]) => [name as string, sources]),
  );
}

async function expectSecurePage(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  expect(res.status, url).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/html/);
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  expect(res.headers.get("referrer-policy")).toBe("no-referrer");
  expect(res.headers.get("x-frame-options")).toBe("DENY");
  const csp = directives(res.headers.get("content-security-policy") ?? "");
  expect(csp.get("frame-ancestors")).toEqual(["'none'"]);
  expect(csp.get("default-src")).toEqual(["'none'"]);
  expect(csp.get("base-uri")).toEqual(["'none'"]);
  // Only the page's own inline blocks run: by hash, never 'unsafe-inline' or 'unsafe-eval'.
  const html = await res.text();
  const { scripts, styles } = inlineHashes(html);
  expect(scripts.length + styles.length).toBeGreaterThan(0);
  for (const hash of scripts) expect(csp.get("script-src")).toContain(hash);
  for (const hash of styles) expect(csp.get("style-src")).toContain(hash);
  for (const list of csp.values()) {
    expect(list).not.toContain("'unsafe-inline'");
    expect(list).not.toContain("'unsafe-eval'");
    expect(list).not.toContain("*");
  }
  // Anything the page loads from elsewhere is same-origin ('self').
  for (const src of html.matchAll(/<(?:script|link)[^>]+(?:src|href)="([^"]+)"/g)) {
    expect(src[1], url).toMatch(/^\/(?!\/)|^data:/);
  }
}

describe("security headers of the pages", () => {
  it("the cell's /docs page", async () => {
    await expectSecurePage(`${cell.url}/docs`);
  });

  it("the control plane's dashboard and partner page", async () => {
    const auth = { authorization: `Bearer ${cp.adminToken}` };
    await expectSecurePage(`${cp.url}/dashboard`, auth);
    await expectSecurePage(`${cp.url}/dashboard/partners/ptr_0mh1x2y3z4abcdefghijklmn`, auth);
  });

  it("the dashboard's script and stylesheet are served with nosniff", async () => {
    const auth = { authorization: `Bearer ${cp.adminToken}` };
    for (const asset of ["/dashboard/assets/uplot.js", "/dashboard/assets/uplot.css"]) {
      const res = await fetch(`${cp.url}${asset}`, { headers: auth });
      expect(res.status, asset).toBe(200);
      expect(res.headers.get("x-content-type-options"), asset).toBe("nosniff");
    }
  });
});

describe.skipIf(!haveChromium)("the docs page under its policy, in Chromium", () => {
  let browser: BrowserContext;
  let profile: string;
  beforeAll(async () => {
    profile = await mkdtemp(join(tmpdir(), "cellpay-chromium-"));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  it("renders every operation with no blocked script or style", async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(m.text());
    });
    page.on("pageerror", (e) => problems.push(e.message));
    await page.goto(`${cell.url}/docs`);
    await page.locator("#ops .op", { hasText: "/v1/payments" }).first().waitFor({ timeout: 10_000 });
    expect(await page.locator("#ops .op").count()).toBeGreaterThanOrEqual(20);
    // The inline stylesheet applied: an operation is a bordered white card.
    const background = await page
      .locator("#ops .op")
      .first()
      .evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(background).toBe("rgb(255, 255, 255)");
    expect(problems).toEqual([]);
  });
});
