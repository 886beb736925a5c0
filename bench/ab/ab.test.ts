// The A/B's arithmetic and topology rewriting: what decides the headline ratio must be right
// without a 12-minute run to find out.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { topSelfTime } from "../profile/top-functions.ts";
import { type BuildRound, spread, summariseRounds } from "./ab-report.ts";
import { lockIsSubset } from "./build-worktree.ts";
import { cpuColumns } from "./cpu-by-role.ts";
import { writeBuildTopology } from "./topology.ts";

function round(build: string, r: number, platformMs: number, pps: number): BuildRound {
  const ms = Object.fromEntries(cpuColumns.map((c) => [c, 0])) as Record<(typeof cpuColumns)[number], number>;
  ms.platform = platformMs;
  const m = {
    load: { seconds: 10, sent: pps * 10, payments: pps * 10, errors: {}, p50: 10, p99: 40, max: 50 },
    paymentsPerSecond: pps,
    cpu: { seconds: 10, msPerPayment: ms, cores: ms, processes: {} },
  };
  return {
    round: r,
    build,
    order: 0,
    startSeconds: 1,
    loads: {
      dense: m,
      sparse: { ...m, cpu: { ...m.cpu, msPerPayment: { ...ms, platform: platformMs * 2 } } },
    },
  };
}

describe("A/B summary", () => {
  it("takes the median of the per-round ratios current/baseline, with their range", () => {
    const rounds = [
      round("baseline", 0, 6, 100),
      round("current", 0, 2, 300),
      round("baseline", 1, 8, 100),
      round("current", 1, 2, 250),
      round("baseline", 2, 4, 100),
      round("current", 2, 2, 200),
    ];
    const { ratios, summary, sparseOverDense } = summariseRounds(rounds, ["baseline", "current"]);
    // per round 2/6, 2/8, 2/4 → median 1/3
    expect(ratios.dense["cpu platform"]).toEqual({ median: 0.333, min: 0.25, max: 0.5, n: 3 });
    expect(ratios.dense["payments/s"]!.median).toBe(2.5);
    expect(summary.baseline!.dense["cpu platform"]!.median).toBe(6);
    expect(sparseOverDense.current!.median).toBe(2);
  });

  it("spread of an even count averages the middle two and ignores NaN", () => {
    expect(spread([4, 1, Number.NaN, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4, n: 4 });
  });
});

describe("node_modules reuse", () => {
  it("reuses ours only when every package the build pins is here at the same version", () => {
    const ours = { "": {}, "node_modules/a": { version: "1.0.0" }, "node_modules/b": { version: "2.0.0" } };
    expect(lockIsSubset({ "": {}, "node_modules/a": { version: "1.0.0" } }, ours)).toBe(true);
    expect(lockIsSubset({ "node_modules/a": { version: "1.0.1" } }, ours)).toBe(false);
    expect(lockIsSubset({ "node_modules/c": { version: "1.0.0" } }, ours)).toBe(false);
  });
});

describe("A/B topology", () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it("keeps the build's first cell and only the fields it has, one router, every port moved apart", async () => {
    const root = await mkdtemp(join(tmpdir(), "ab-topology-"));
    dirs.push(root);
    await mkdir(join(root, "bench"));
    await mkdir(join(root, ".data"));
    await writeFile(
      join(root, "bench", "cells.bench.yaml"),
      `platform:
  control_plane: { port: 17000, postgres: { port: 17010 }, nats: { port: 17012 } }
  routers: { instances: 2, port: 17001 }
cells:
  - { id: cell-a, gateways: 1, gateway_port: 17100, postgres: { port: 17120, replicas: 2 }, redis: { port: 17111 }, nats: { port: 17112 } }
  - { id: cell-b, gateways: 1, gateway_port: 17200, postgres: { port: 17220 }, redis: { port: 17211 }, nats: { port: 17212 } }
`,
    );
    const t = await writeBuildTopology(root, 12000);
    const written = parse(await import("node:fs/promises").then((f) => f.readFile(t.file, "utf8")));
    expect(written.cells).toHaveLength(1);
    expect(Object.keys(written.cells[0]).sort()).toEqual([
      "gateway_port",
      "gateways",
      "id",
      "nats",
      "postgres",
      "redis",
    ]);
    expect(written.cells[0].postgres.replicas).toBe(2);
    expect(written.platform.routers).toEqual({ instances: 1, port: t.routerPort });
    const ports = [
      written.platform.control_plane.port,
      written.platform.control_plane.postgres.port,
      written.platform.control_plane.nats.port,
      written.platform.routers.port,
      written.cells[0].gateway_port,
      written.cells[0].postgres.port,
      written.cells[0].redis.port,
      written.cells[0].nats.port,
    ].sort((a, b) => a - b);
    // A replicated Postgres takes 2 × replicas + 2 ports: no two fields may be closer than that.
    for (let i = 1; i < ports.length; i++) expect(ports[i]! - ports[i - 1]!).toBeGreaterThanOrEqual(6);
    expect(ports[0]).toBeGreaterThanOrEqual(12000);
    // The standby's port names the cell too, so its CPU is counted as the cell's.
    expect(t.portScope.get(written.cells[0].postgres.port + 1)).toBe("cell-a");
  });
});

describe("profile summary", () => {
  it("sums self time per function from the sample deltas and leaves idle out", () => {
    const frame = (functionName: string) => ({ functionName, url: "file:///x/cell/a.ts", lineNumber: 0 });
    const profile = {
      nodes: [
        { id: 1, callFrame: frame("(root)") },
        { id: 2, callFrame: frame("hot") },
        { id: 3, callFrame: frame("(idle)") },
        { id: 4, callFrame: frame("cold") },
      ],
      samples: [2, 2, 3, 4],
      timeDeltas: [0, 300, 300, 5000, 400],
    };
    const { top, busyMs } = topSelfTime(profile);
    expect(top.map((t) => t.fn)).toEqual(["hot", "cold"]);
    expect(top[0]!.where).toBe("cell/a.ts:1");
    expect(busyMs).toBe(1);
  });
});
