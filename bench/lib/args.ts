// Command-line options of `npm run bench`, parsed once.
import { parseArgs } from "node:util";

export const scenarioNames = [
  "steady",
  "knee",
  "spike",
  "noisy",
  "cell-loss",
  "move",
  "failover",
  "ha-cost",
  "scale",
  "restore",
] as const;
/** Scenarios that start their own cells (replicated Postgres, gateways only): bench/ha/. */
export const haScenarioNames = ["failover", "ha-cost"] as const;
export type HaScenarioName = (typeof haScenarioNames)[number];
export type ScenarioName = (typeof scenarioNames)[number];

export interface BenchOptions {
  scenario: ScenarioName;
  /** Seconds of measured load (for knee: per step). */
  duration: number | undefined;
  /** Base arrival rate, requests per second (failover: per cell, default 40). */
  rate: number;
  /** --rate was given (the HA scenarios have their own default). */
  rateGiven: boolean;
  partners: number;
  /** Put every partner in this cell (a one-cell figure); default: placement across all cells. */
  cell: string | undefined;
  target: string[] | undefined;
  adminUrl: string | undefined;
  adminToken: string | undefined;
  connections: number;
  skipCeilings: boolean;
  zipf: number;
  /** The topology the bench starts locally (repository-relative); see bench/cells.bench.yaml. */
  cellsFile: string;
  /** CPU profiles of routers, gateways, relays and processors under bench/reports/profiles/. */
  profile: boolean;
  /** restore: payments bulk-loaded into the cell before its backup. */
  rows: number;
}

const usage = `npm run bench -- [--scenario steady|knee|spike|noisy|cell-loss|move|failover|ha-cost|scale|restore] [--rows n] [--duration s] [--rate tps]
  [--partners n] [--cell cell-a] [--connections n] [--zipf s] [--skip-ceilings] [--cells-file cells.yaml]
  [--target http://router1,http://router2 --admin-url http://cp --admin-token adm_…] [--profile]
npm run bench -- --scenario ab --help: the A/B of two builds (bench/ab/options.ts)`;

export function parseBenchArgs(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenario: { type: "string", default: "steady" },
      duration: { type: "string" },
      rate: { type: "string" },
      partners: { type: "string", default: "1000" },
      cell: { type: "string" },
      target: { type: "string" },
      "admin-url": { type: "string" },
      "admin-token": { type: "string" },
      connections: { type: "string", default: "256" },
      zipf: { type: "string", default: "1" },
      "skip-ceilings": { type: "boolean", default: false },
      "cells-file": { type: "string" },
      profile: { type: "boolean", default: false },
      rows: { type: "string", default: "1000000" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const scenario = values.scenario as ScenarioName;
  if (!scenarioNames.includes(scenario)) throw new Error(`unknown --scenario ${scenario}\n${usage}`);
  const num = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number\n${usage}`);
    return n;
  };
  if (
    values.target !== undefined &&
    (values["admin-url"] === undefined || values["admin-token"] === undefined)
  )
    throw new Error(`--target needs --admin-url and --admin-token\n${usage}`);
  return {
    scenario,
    duration: num("duration", values.duration),
    rate: num("rate", values.rate) ?? 500,
    rateGiven: values.rate !== undefined,
    partners: Math.round(num("partners", values.partners)!),
    cell: values.cell,
    target: values.target?.split(",").map((u) => u.trim().replace(/\/$/, "")),
    adminUrl: values["admin-url"]?.replace(/\/$/, ""),
    adminToken: values["admin-token"],
    connections: Math.round(num("connections", values.connections)!),
    skipCeilings: values["skip-ceilings"],
    zipf: num("zipf", values.zipf)!,
    // scale loads millions of rows: its own topology (ports, one Postgres copy per cell).
    cellsFile:
      values["cells-file"] ?? (scenario === "scale" ? "bench/cells.scale.yaml" : "bench/cells.bench.yaml"),
    profile: values.profile,
    rows: Math.round(num("rows", values.rows)!),
  };
}
