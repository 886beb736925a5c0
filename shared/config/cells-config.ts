// cells.yaml: the cells of the platform and where each cell's Postgres, Redis and NATS live.
// Parsed once at start with zod; a bad file stops start-up with a message naming the field.
// Locally a component is a port (the launcher starts it); in production it is a URL, and an
// environment variable such as CELLPAY_CELL_A_POSTGRES_URL overrides either.
import { readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { parse } from "yaml";
import { z } from "zod";
import { natsServers } from "./nats-servers.ts";
import { isPostgresUrl } from "./postgres-url.ts";

const port = z.number().int().min(1024).max(65535);

const component = z
  .object({ port: port.optional(), url: z.string().url().optional() })
  .strict()
  .refine((c) => c.port !== undefined || c.url !== undefined, { message: "needs a port or a url" });

/**
 * A cell's Postgres. `replicas: 2+` runs a Patroni cluster (primary + streaming standbys) locally
 * on port, port+1, ... (one per copy), its Patroni REST APIs on the next `replicas` ports and the
 * cell's etcd (client, peer) on the two after: 2 × replicas + 2 consecutive ports in all.
 */
const postgresComponent = z
  .object({
    port: port.optional(),
    url: z.string().optional(),
    replicas: z.number().int().min(1).max(5).default(1),
    /** Acknowledge a commit only once a standby has it on disk too (default when replicas ≥ 2). */
    synchronous: z.boolean().optional(),
  })
  .strict()
  .refine((c) => c.port !== undefined || c.url !== undefined, { message: "needs a port or a url" })
  .refine((c) => c.url === undefined || isPostgresUrl(c.url), {
    message: "must be a postgres:// URL (host:port,host:port,... for several copies)",
    path: ["url"],
  });

/**
 * A cell's NATS. `replicas: 3` (or 5) runs a JetStream cluster locally: client ports port,
 * port+1, ... and route (cluster) ports on the next `replicas` ports; the cell's streams then keep
 * `replicas` copies and survive the loss of a minority of nodes. Never 2 (or any even count): a
 * JetStream cluster needs a majority to elect a leader, so 2 nodes stop when either is lost.
 */
const natsComponent = z
  .object({
    port: port.optional(),
    url: z.string().optional(),
    replicas: z
      .number()
      .int()
      .min(1)
      .max(5)
      .refine((n) => n % 2 === 1, {
        message:
          "must be 1, 3 or 5: JetStream needs an odd quorum (2 nodes cannot elect a leader once one is lost)",
      })
      .default(1),
  })
  .strict()
  .refine((c) => c.port !== undefined || c.url !== undefined, { message: "needs a port or a url" })
  .refine((c) => c.url === undefined || natsServers(c.url).every(isNatsUrl), {
    message: "must be a nats:// URL (or a comma list of a cluster's nats:// URLs)",
    path: ["url"],
  });

function isNatsUrl(value: string): boolean {
  try {
    return ["nats:", "tls:"].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

/** How many consecutive ports a cell's local NATS takes (see natsComponent). */
export const natsPortCount = (replicas: number) => (replicas > 1 ? 2 * replicas : 1);

/** How many consecutive ports a cell's local Postgres takes (see postgresComponent). */
export const postgresPortCount = (replicas: number) => (replicas > 1 ? 2 * replicas + 2 : 1);

export const cellSchema = z
  .object({
    id: z
      .string()
      .regex(/^[a-z][a-z0-9-]{1,30}$/, "lower-case letters, digits and dashes, starting with a letter"),
    weight: z.number().positive().default(1),
    gateways: z.number().int().min(1).max(16).default(1),
    /** Core processor processes (ledger, settlement, webhooks); each cell also runs one outbox relay. */
    processors: z.number().int().min(1).max(16).default(1),
    gateway_port: port,
    /**
     * The gateways' internal listeners (internal API, /metrics), on internal_port, internal_port+1,
     * ...: reached by the control plane only, never by the routers.
     */
    internal_port: port,
    postgres: postgresComponent,
    redis: component,
    nats: natsComponent,
  })
  .strict();

/**
 * WAL archive and base backups (pgBackRest) of every cell's Postgres and the control plane's. `dir`
 * is the repository root (one stanza folder per database; relative to the repository checkout),
 * never a cell's own folder; CELLPAY_BACKUP_DIR overrides it, and PGBACKREST_REPO1_* variables
 * (e.g. an S3 bucket) override the repository itself. Backups are taken on the schedule below.
 */
export const backupsSchema = z
  .object({
    enabled: z.boolean().default(true),
    dir: z.string().min(1).default(".data/backups"),
    retention_days: z.number().int().min(1).max(365).default(14),
    full_every_hours: z.number().positive().default(168),
    diff_every_hours: z.number().positive().default(24),
    incr_every_hours: z.number().positive().default(1),
  })
  .strict();
export type BackupsConfig = z.infer<typeof backupsSchema>;

/** The global pieces: the control plane (its own Postgres and NATS) and the router instances. */
export const platformSchema = z
  .object({
    backups: backupsSchema.prefault({}),
    control_plane: z
      .object({ port, postgres: component, nats: component })
      .strict()
      .default({ port: 17000, postgres: { port: 17010 }, nats: { port: 17012 } }),
    routers: z
      .object({ instances: z.number().int().min(1).max(8), port })
      .strict()
      .default({ instances: 2, port: 17001 }),
  })
  .strict();

export const cellsFileSchema = z
  .object({ platform: platformSchema.prefault({}), cells: z.array(cellSchema).min(1) })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.cells.forEach((cell, i) => {
      if (seen.has(cell.id))
        ctx.addIssue({ code: "custom", path: ["cells", i, "id"], message: "duplicate cell id" });
      seen.add(cell.id);
    });
    for (const issue of overlappingPorts(file)) ctx.addIssue({ code: "custom", ...issue });
  });

interface PortRange {
  path: (string | number)[];
  first: number;
  count: number;
}

/** Every port range the file gives (instances take consecutive ports), in file order. */
function portRanges(file: { platform: PlatformConfig; cells: CellConfig[] }): PortRange[] {
  const ranges: PortRange[] = [];
  // Refinements may run on a file with other problems: anything not a number is skipped here.
  const add = (path: (string | number)[], first: unknown, count: unknown = 1) => {
    if (typeof first === "number" && typeof count === "number") ranges.push({ path, first, count });
  };
  const cp = file.platform?.control_plane;
  add(["platform", "control_plane", "port"], cp?.port);
  add(["platform", "control_plane", "postgres", "port"], cp?.postgres?.port);
  add(["platform", "control_plane", "nats", "port"], cp?.nats?.port);
  const routers = file.platform?.routers;
  add(["platform", "routers", "port"], routers?.port, routers?.instances);
  file.cells.forEach((cell, i) => {
    add(["cells", i, "gateway_port"], cell.gateway_port, cell.gateways);
    add(["cells", i, "internal_port"], cell.internal_port, cell.gateways);
    const replicas = cell.postgres?.replicas ?? 1;
    add(["cells", i, "postgres", "port"], cell.postgres?.port, postgresPortCount(replicas));
    add(["cells", i, "redis", "port"], cell.redis?.port);
    add(["cells", i, "nats", "port"], cell.nats?.port, natsPortCount(cell.nats?.replicas ?? 1));
  });
  return ranges;
}

const rangeText = (r: PortRange) => (r.count === 1 ? `${r.first}` : `${r.first}-${r.first + r.count - 1}`);

/** A port range that overlaps an earlier one, named at the later one (both would fail to bind). */
function overlappingPorts(file: { platform: PlatformConfig; cells: CellConfig[] }) {
  const ranges = portRanges(file);
  const issues: { path: (string | number)[]; message: string }[] = [];
  ranges.forEach((r, i) => {
    const earlier = ranges
      .slice(0, i)
      .find((e) => r.first < e.first + e.count && e.first < r.first + r.count);
    if (earlier) {
      issues.push({
        path: r.path,
        message: `ports ${rangeText(r)} overlap ${formatPath(earlier.path)} (${rangeText(earlier)})`,
      });
    }
  });
  return issues;
}

export type CellConfig = z.infer<typeof cellSchema>;
export type PlatformConfig = z.infer<typeof platformSchema>;
export type CellsFile = z.infer<typeof cellsFileSchema>;

export class ConfigError extends Error {}

export function parseCellsFile(text: string, source = "cells.yaml"): CellsFile {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new ConfigError(`${source}: not valid YAML: ${(err as Error).message}`);
  }
  const result = cellsFileSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${formatPath(i.path)}: ${i.message}`);
    throw new ConfigError(`${source} is invalid:\n${lines.join("\n")}`);
  }
  return result.data;
}

/**
 * Which cells file the platform runs: `CELLPAY_CELLS_FILE` (absolute, or relative to the
 * repository root) when set, else the root's cells.yaml. The bench sets it to its own topology.
 */
export function cellsFilePath(root: string, env: Record<string, string | undefined> = process.env): string {
  const given = env.CELLPAY_CELLS_FILE;
  if (!given) return join(root, "cells.yaml");
  return isAbsolute(given) ? given : join(root, given);
}

export function loadCellsFile(path: string): CellsFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new ConfigError(`cannot read ${path}`);
  }
  return parseCellsFile(text, path);
}

function formatPath(path: PropertyKey[]): string {
  if (path.length === 0) return "(the whole file)";
  return path
    .map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`))
    .join("");
}

export type Component = "postgres" | "redis" | "nats";

/** The URL a cell's component is reached at: environment override, then url, then the local port. */
export function componentUrl(
  cell: CellConfig,
  component: Component,
  env: Record<string, string | undefined> = process.env,
): string {
  const override = env[`CELLPAY_${cell.id.toUpperCase().replace(/-/g, "_")}_${component.toUpperCase()}_URL`];
  if (override) return override;
  const c = cell[component];
  if (c.url) return c.url;
  if (component === "postgres" && cell.postgres.replicas > 1) {
    // Every copy, and only the one that is primary will do: clients follow a failover by themselves.
    const hosts = Array.from({ length: cell.postgres.replicas }, (_, i) => `127.0.0.1:${c.port! + i}`);
    return `postgres://postgres@${hosts.join(",")}/cellpay?target_session_attrs=primary`;
  }
  if (component === "nats" && cell.nats.replicas > 1) {
    // Every node's client port: a client fails over to another node by itself.
    return Array.from({ length: cell.nats.replicas }, (_, i) => `nats://127.0.0.1:${c.port! + i}`).join(",");
  }
  const scheme = { postgres: "postgres://postgres@", redis: "redis://", nats: "nats://" }[component];
  const path = component === "postgres" ? "/cellpay" : "";
  return `${scheme}127.0.0.1:${c.port}${path}`;
}
