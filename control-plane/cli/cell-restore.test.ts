// `cells restore` refuses bad input as a usage error (exit 2, the usage line), never a stack trace,
// before it reaches the control plane or starts anything.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);

async function cli(...args: string[]) {
  // An admin URL nothing listens on: a usage error must come before any call.
  const env = { ...process.env, CELLPAY_ADMIN_URL: "http://127.0.0.1:9", CELLPAY_ADMIN_TOKEN: "adm_x" };
  try {
    await run("npx", ["tsx", "control-plane/cli/main.ts", "cells", "restore", ...args], { env });
    return { code: 0, stderr: "" };
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

describe("cells restore: bad input", () => {
  it("answers a bad --to, a missing --as and a missing cell with a usage error and exit 2", async () => {
    for (const [args, message] of [
      [["cell-a", "--to", "yesterday", "--as", "cell-a2"], /--to: not a time: yesterday/],
      [["cell-a", "--to", "2026-12-02 05:10", "--as", "cell-a2"], /--to: not a time/],
      [["cell-a", "--to", "latest"], /missing --as/],
      [[], /missing <cell>/],
    ] as const) {
      const res = await cli(...args);
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(message);
      expect(res.stderr).toMatch(/usage: npm run admin -- cells restore/);
      expect(res.stderr).not.toMatch(/\n\s+at /);
    }
  }, 120_000);
});
