// Command-line options of `npm run bench -- --scenario ab`, parsed once.
import { parseArgs } from "node:util";

export interface AbOptions {
  /** The baseline git ref (default: the issue-13 baseline). */
  baseline: string;
  /** The current build's git ref (default HEAD: commit what you want measured). */
  current: string;
  rounds: number;
  clients: number;
  /** Seconds of warm-up before each measured load (not counted). */
  warmup: number;
  denseSeconds: number;
  sparseSeconds: number;
  sparseRate: number;
  /** The open-loop search for the highest rate with p99 ≤ searchP99 ms (0 steps = no search). */
  searchSteps: number;
  searchStepSeconds: number;
  searchP99: number;
  skipCeilings: boolean;
  /** Extra pass per build with CPU profiles of router, gateway, relay, processor during dense load. */
  profile: boolean;
  /** Postgres copies per cell for a build whose topology has `replicas` (undefined: the build's own). */
  postgresReplicas: number | undefined;
  /** Free text for the report: who else was on the machine, why this run was made. */
  note: string | undefined;
}

export const abUsage = `npm run bench -- --scenario ab [--baseline 0c1c2c7] [--current HEAD] [--rounds 3]
  [--clients 32] [--warmup 5] [--dense-seconds 20] [--sparse-seconds 15] [--sparse-rate 100]
  [--search-steps 6] [--search-step-seconds 8] [--search-p99 50] [--skip-ceilings] [--profile]
  [--postgres-replicas 1: the current build on one Postgres, as the baseline]
  [--note "what else ran on the machine"]`;

export function parseAbArgs(argv: string[]): AbOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenario: { type: "string" },
      baseline: { type: "string", default: "0c1c2c7" },
      current: { type: "string", default: "HEAD" },
      rounds: { type: "string", default: "3" },
      clients: { type: "string", default: "32" },
      warmup: { type: "string", default: "5" },
      "dense-seconds": { type: "string", default: "20" },
      "sparse-seconds": { type: "string", default: "15" },
      "sparse-rate": { type: "string", default: "100" },
      "search-steps": { type: "string", default: "6" },
      "search-step-seconds": { type: "string", default: "8" },
      "search-p99": { type: "string", default: "50" },
      "skip-ceilings": { type: "boolean", default: false },
      profile: { type: "boolean", default: false },
      note: { type: "string" },
      "postgres-replicas": { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(abUsage);
    process.exit(0);
  }
  const num = (name: keyof typeof values, min: number): number => {
    const n = Number(values[name]);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number ≥ ${min}\n${abUsage}`);
    return n;
  };
  return {
    baseline: values.baseline,
    current: values.current,
    rounds: Math.round(num("rounds", 1)),
    clients: Math.round(num("clients", 1)),
    warmup: num("warmup", 0),
    denseSeconds: num("dense-seconds", 1),
    sparseSeconds: num("sparse-seconds", 1),
    sparseRate: num("sparse-rate", 1),
    searchSteps: Math.round(num("search-steps", 0)),
    searchStepSeconds: num("search-step-seconds", 1),
    searchP99: num("search-p99", 1),
    skipCeilings: values["skip-ceilings"],
    profile: values.profile,
    note: values.note,
    postgresReplicas: values["postgres-replicas"] === undefined ? undefined : num("postgres-replicas", 1),
  };
}
