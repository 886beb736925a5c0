// The topology each build runs in the A/B: the build's OWN bench/cells.bench.yaml (each build
// keeps the layout its code expects, e.g. replicas), cut to its first cell and one router, with
// every port moved into one free block. A fixed block (17000+) would collide with any other
// `npm run bench` on a shared machine; one block for the whole run keeps a cell's data (and its
// Patroni/etcd members) on the same ports from round to round.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { canBind } from "../../platform/free-port.ts";

/** Room per port field: a Patroni cell takes 2 × replicas + 2 ports from its postgres port. */
const SPACING = 16;
const BLOCK = 256;

/** A block of BLOCK free ports below the test harness' 20000+ and clear of the bench's 17xxx. */
export async function findPortBlock(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 10_000 + BLOCK * Math.floor(Math.random() * 24); // 10000–16143
    let free = true;
    for (let p = base; p < base + BLOCK && free; p++) free = await canBind(p);
    if (free) return base;
  }
  throw new Error("no block of free ports found in 10000–16400");
}

export interface BuildTopology {
  /** Absolute path of the cells file the build starts with. */
  file: string;
  cellId: string;
  /** The first cell as the build's file describes it (ports moved). */
  cell: Record<string, unknown>;
  routerPort: number;
  /** Server port → scope, for the per-process CPU table. */
  portScope: Map<number, string>;
}

/** Writes <root>/.data/ab-cells.yaml from the build's bench/cells.bench.yaml. */
export async function writeBuildTopology(
  root: string,
  portBase: number,
  /** Overrides `postgres.replicas` where the build's file has it: the same database layout for both builds. */
  postgresReplicas?: number,
): Promise<BuildTopology> {
  const source = parse(await readFile(join(root, "bench", "cells.bench.yaml"), "utf8")) as {
    platform: Record<string, Record<string, unknown>>;
    cells: Record<string, unknown>[];
  };
  let next = portBase;
  const portScope = new Map<number, string>();
  const take = (scope: string) => {
    const port = next;
    next += SPACING;
    portScope.set(port, scope);
    return port;
  };
  const cell = { ...source.cells[0]! };
  const cellId = String(cell.id);
  const platform = {
    ...source.platform,
    control_plane: {
      ...source.platform.control_plane,
      port: take("global"),
      postgres: { port: take("control-plane") },
      nats: { port: take("control-plane") },
    },
    routers: { instances: 1, port: take("global") },
  };
  // Only the fields the build's own file has: the baseline's schema rejects what it does not know.
  for (const [key, value] of Object.entries(cell)) {
    if (key.endsWith("_port")) cell[key] = take(cellId);
    else if (value && typeof value === "object" && "port" in value) {
      const port = take(cellId);
      cell[key] = { ...(value as object), port };
      if (postgresReplicas !== undefined && key === "postgres" && "replicas" in value) {
        (cell[key] as { replicas: number }).replicas = postgresReplicas;
      }
      // A replicated Postgres: every copy's port names this cell (see processes.ts).
      const replicas = (cell[key] as { replicas?: number }).replicas ?? 1;
      for (let i = 1; i < replicas; i++) portScope.set(port + i, cellId);
    }
  }
  const file = join(root, ".data", "ab-cells.yaml");
  await writeFile(
    file,
    `# Written by the ab bench scenario from this build's bench/cells.bench.yaml (first cell, one router, ports moved).\n${stringify({ platform, cells: [cell] })}`,
  );
  return { file, cellId, cell, routerPort: platform.routers.port, portScope };
}
