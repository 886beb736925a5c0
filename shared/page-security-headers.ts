// Security headers of the HTML pages we serve (the API docs, the operators' dashboard): a
// Content-Security-Policy that lets a page run only its own inline blocks (by their SHA-256) and
// same-origin files, never framed (clickjacking), never sniffed, never leaking a URL in Referer.
// Hashes rather than nonces: the pages are static, so the header is computed once per page.
// (hono/secure-headers sets one fixed policy per middleware; ours depends on each page's blocks.)
import { createHash } from "node:crypto";

const inlineBlock = /<(script|style)(\s[^>]*)?>([\s\S]*?)<\/\1>/gi;

/** `'sha256-…'` sources of the page's inline `<script>` and `<style>` blocks (not of `src=` ones). */
export function inlineHashes(html: string): { scripts: string[]; styles: string[] } {
  const scripts: string[] = [];
  const styles: string[] = [];
  for (const [, tag, attrs = "", body = ""] of html.matchAll(inlineBlock)) {
    if (/\ssrc\s*=/i.test(attrs)) continue;
    const source = `'sha256-${createHash("sha256").update(body, "utf8").digest("base64")}'`;
    (tag?.toLowerCase() === "script" ? scripts : styles).push(source);
  }
  return { scripts, styles };
}

export function pageSecurityHeaders(html: string): Record<string, string> {
  const { scripts, styles } = inlineHashes(html);
  const csp = [
    "default-src 'none'",
    `script-src 'self' ${scripts.join(" ")}`.trim(),
    `style-src 'self' ${styles.join(" ")}`.trim(),
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
  return {
    "content-security-policy": csp,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
  };
}

/** For the files a page loads (scripts, styles): typed strictly, never framed. */
export const assetSecurityHeaders = { "x-content-type-options": "nosniff" } as const;
