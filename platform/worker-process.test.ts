// The launcher's workers: started as the entry point says, reported ready from their log, run at
// the niceness asked for (the relay and processors yield the cores to the request path), and
// stopped for good.

import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorkerProcess } from "./worker-process.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cellpay-worker-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Field 19 of /proc/<pid>/stat (after the parenthesised command name) is the nice value. */
function niceOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[16]);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("worker processes", () => {
  it("runs a worker at the niceness asked for, with the same pid the launcher signals", async () => {
    const proc = await startWorkerProcess({
      name: "nice-worker",
      entry: "platform/fixtures/ready-worker.ts",
      env: {},
      logFile: join(dir, "nice.log"),
      niceness: 10,
    });
    try {
      expect(niceOf(proc.pid)).toBe(10);
    } finally {
      await proc.stop();
    }
    expect(alive(proc.pid)).toBe(false);
  });

  it("leaves the niceness alone when none is asked for", async () => {
    const proc = await startWorkerProcess({
      name: "plain-worker",
      entry: "platform/fixtures/ready-worker.ts",
      env: {},
      logFile: join(dir, "plain.log"),
    });
    try {
      expect(niceOf(proc.pid)).toBe(niceOf(process.pid));
    } finally {
      await proc.stop();
    }
    expect(alive(proc.pid)).toBe(false);
  });
});
