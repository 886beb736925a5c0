// docker-compose.yml cannot be run here (no Docker engine), so this checks it against what it
// mirrors: every cell of cells.yaml publishes exactly the host ports the launcher gives it (the
// replicated Postgres range, Redis, NATS single or clustered), every image it builds has its
// Dockerfile and files, and the Patroni nodes run the launcher's own settings for the cell.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type CellConfig, loadCellsFile } from "../shared/config/cells-config.ts";
import { COMPOSE_CELL, COMPOSE_NODE } from "./compose-patroni-config.ts";
import { localNatsClusterLayout } from "./nats-cluster.ts";
import { patroniConfig } from "./patroni-config.ts";
import { archiveSettings, backupStanza } from "./pgbackrest.ts";
import { localHaLayout } from "./replicated-postgres.ts";
import { composeTemplateContents, composeTemplates } from "./write-compose-config.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const read = (path: string) => readFileSync(join(root, path), "utf8");

interface Service {
  build?: string | { context: string; dockerfile?: string };
  profiles?: string[];
  ports?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
  command?: string[];
}
const compose = parse(read("docker-compose.yml"), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const cells = loadCellsFile(join(root, "cells.yaml")).cells;
/** The profiles `docker compose up` runs with: COMPOSE_PROFILES from .env. */
const defaultProfiles = (/^COMPOSE_PROFILES=(.*)$/m.exec(read(".env"))?.[1] ?? "").split(",").filter(Boolean);

const enabled = (profiles: string[]) =>
  Object.entries(compose.services).filter(
    ([, s]) => s.profiles === undefined || s.profiles.some((p) => profiles.includes(p)),
  );

/** "127.0.0.1:17120:5432" → service name → [host ip, host port, container port] per mapping. */
function published(profiles: string[]): Map<string, [string, number, number][]> {
  return new Map(
    enabled(profiles).map(([name, s]) => [
      name,
      (s.ports ?? []).map((p) => {
        const [ip, host, container] = p.split(":");
        return [ip!, Number(host), Number(container)] as [string, number, number];
      }),
    ]),
  );
}

/** What npm start binds for the cell, per compose service, as [host port, container port]. */
function launcherPorts(cell: CellConfig, natsReplicas: number): Record<string, [number, number][]> {
  const pg = localHaLayout(cell.postgres.port!, cell.postgres.replicas, cell.postgres.synchronous);
  const nats = natsReplicas > 1 ? localNatsClusterLayout(cell.nats.port!, natsReplicas).clientPorts : [];
  return {
    [`${cell.id}-etcd`]: [[pg.etcdClientPort, 2379]],
    ...Object.fromEntries(
      pg.postgresPorts.map((port, i) => [
        `${cell.id}-pg-${i}`,
        [
          [port, 5432],
          [pg.restPorts[i]!, 8008],
        ],
      ]),
    ),
    [`${cell.id}-redis`]: [[cell.redis.port!, 6379]],
    ...(natsReplicas > 1
      ? Object.fromEntries(nats.map((port, i) => [`${cell.id}-nats-${i}`, [[port, 4222]]]))
      : { [`${cell.id}-nats`]: [[cell.nats.port!, 4222]] }),
  };
}

function cellServices(ports: Map<string, [string, number, number][]>, cell: CellConfig) {
  const own = [...ports].filter(([name]) => name.startsWith(`${cell.id}-`));
  return Object.fromEntries(own.map(([name, maps]) => [name, maps.map(([, host, c]) => [host, c])]));
}

/** What docker/patroni/entrypoint.sh does to a template for a node's environment. */
const render = (template: string, env: Record<string, string>) =>
  template.replaceAll(COMPOSE_CELL, env.CELL_ID!).replaceAll(COMPOSE_NODE, env.NODE_NAME!);

type PatroniYaml = ReturnType<typeof patroniConfig>;
const dcsParameters = (c: PatroniYaml) => c.bootstrap.dcs.postgresql.parameters as Record<string, unknown>;

const patroniNodes = Object.entries(compose.services).filter(([, s]) => s.environment?.CELL_ID !== undefined);

describe("docker-compose.yml", () => {
  it("publishes, for every cell under .env's profiles, exactly the ports npm start binds for it", () => {
    expect(defaultProfiles).toHaveLength(1);
    const ports = published(defaultProfiles);
    for (const cell of cells) {
      expect(cellServices(ports, cell), cell.id).toEqual(launcherPorts(cell, cell.nats.replicas));
    }
    // Nothing else, and nothing beyond the host's loopback (Postgres trusts its clients).
    const cellIds = cells.map((c) => c.id);
    for (const [name, maps] of ports) {
      expect(
        cellIds.some((id) => name.startsWith(`${id}-`)),
        name,
      ).toBe(true);
      for (const [ip] of maps) expect(ip, name).toBe("127.0.0.1");
    }
  });

  it("with the nats-cluster profile, runs cells.yaml `nats: { replicas: 3 }`: three routed nodes on its client ports", () => {
    const ports = published(["nats-cluster"]);
    for (const cell of cells) {
      expect(cellServices(ports, cell), cell.id).toEqual(launcherPorts(cell, 3));
      const nodes = [0, 1, 2].map((i) => `${cell.id}-nats-${i}`);
      for (const [i, node] of nodes.entries()) {
        const args = compose.services[node]!.command!;
        const flag = (name: string) => args.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
        expect(args).toContain("-js");
        expect(args).toContain("--no_advertise");
        expect(flag("--name")).toBe(node);
        expect(flag("--cluster_name")).toBe(`${cell.id}-nats`);
        // Routes to every other node of the same cell, and only those.
        const routes = flag("--routes")!
          .split(",")
          .map((r) => new URL(r).hostname);
        expect(routes.sort()).toEqual(nodes.filter((_, j) => j !== i));
        expect(new URL(flag("--cluster")!).port).toBe("6222");
      }
    }
    // The two variants take the same first port: never both on.
    for (const [, s] of enabled([])) expect(s.profiles).toBeUndefined();
  });

  it("builds every image from a Dockerfile that exists, with every file it copies", () => {
    const built = Object.entries(compose.services).filter(([, s]) => s.build !== undefined);
    expect(built.length).toBeGreaterThan(0);
    for (const [name, s] of built) {
      const context = typeof s.build === "string" ? s.build : s.build!.context;
      const dockerfile = join(
        root,
        context,
        (typeof s.build === "object" && s.build.dockerfile) || "Dockerfile",
      );
      expect(existsSync(dockerfile), `${name}: ${dockerfile}`).toBe(true);
      const copied = [...readFileSync(dockerfile, "utf8").matchAll(/^COPY(?: --\S+)* (.+) \S+$/gm)].flatMap(
        (m) => m[1]!.split(/\s+/),
      );
      for (const file of copied) expect(existsSync(join(root, context, file)), `${name}: ${file}`).toBe(true);
    }
  });

  it("ships the Patroni and pgBackRest templates the launcher's modules generate (npm run compose:config)", () => {
    const expected = composeTemplateContents();
    expect(readFileSync(composeTemplates.patroni, "utf8")).toBe(expected.patroni);
    expect(readFileSync(composeTemplates.pgbackrest, "utf8")).toBe(expected.pgbackrest);
  });

  it("runs each cell's Patroni nodes with the settings npm start gives that cell", () => {
    const template = readFileSync(composeTemplates.patroni, "utf8");
    const entrypoint = read("docker/patroni/entrypoint.sh");
    const renderedTo = (file: string) =>
      new RegExp(`render /opt/cellpay/${file} (\\S+)`).exec(entrypoint)?.[1];
    for (const cell of cells) {
      const nodes = patroniNodes.filter(([, s]) => s.environment!.CELL_ID === cell.id);
      expect(nodes.map(([name]) => name).sort()).toEqual(
        Array.from({ length: cell.postgres.replicas }, (_, i) => `${cell.id}-pg-${i}`),
      );
      // What start.ts → startReplicatedPostgres → startPatroniCluster writes for node 0 of this cell.
      const layout = localHaLayout(cell.postgres.port!, cell.postgres.replicas, cell.postgres.synchronous);
      const local = patroniConfig(
        {
          patroniBin: "patroni",
          pgBin: "/usr/lib/postgresql/15/bin",
          scope: cell.id,
          etcdEndpoint: `127.0.0.1:${layout.etcdClientPort}`,
          dataDir: "/tmp/unused",
          postgresPorts: layout.postgresPorts,
          restPorts: layout.restPorts,
          synchronous: layout.synchronous,
          logFile: () => "/tmp/unused.log",
          settings: archiveSettings(backupStanza(join(root, ".data", "backups"), cell.id)),
        },
        0,
        "/tmp/unused",
        "pg_stat_statements",
      );
      for (const [name, s] of nodes) {
        expect(s.environment!.NODE_NAME, name).toBe(name); // connect_address: the name on the network
        const node = parse(render(template, s.environment!)) as PatroniYaml;
        expect(node.scope).toBe(cell.id);
        expect(node.name).toBe(name);
        expect(node.bootstrap.dcs.synchronous_mode).toBe(local.bootstrap.dcs.synchronous_mode);
        const params = dcsParameters(node);
        expect(params.synchronous_commit).toBe(dcsParameters(local).synchronous_commit);
        expect(params.jit).toBe(dcsParameters(local).jit);
        // Everything Patroni puts into etcd for the cluster is the local cluster's, not just those.
        expect(node.bootstrap.dcs).toEqual(local.bootstrap.dcs);
        // WAL into this cell's stanza, through the config file the entrypoint renders.
        const archive = node.postgresql.parameters.archive_command!;
        const localArchive = local.postgresql.parameters.archive_command!;
        expect(/--stanza=(\S+)/.exec(archive)?.[1]).toBe(/--stanza=(\S+)/.exec(localArchive)?.[1]);
        expect(/--config=(\S+)/.exec(archive)?.[1]).toBe(renderedTo("pgbackrest.conf.template"));
        expect(node.postgresql.parameters.archive_timeout).toBe(local.postgresql.parameters.archive_timeout);
        // The cell's own etcd, by its service name.
        const [etcdHost] = String(node.etcd3.hosts).split(":");
        expect(etcdHost).toBe(`${cell.id}-etcd`);
        expect(compose.services[etcdHost!]?.environment?.ETCD_ADVERTISE_CLIENT_URLS).toBe(
          `http://${node.etcd3.hosts}`,
        );
      }
      const conf = render(readFileSync(composeTemplates.pgbackrest, "utf8"), nodes[0]![1].environment!);
      expect(conf).toContain(`[${cell.id}]`);
    }
  });

  it("gives each Patroni node a data volume of its own and all of them the one backup repository", () => {
    const mounts = patroniNodes.map(([name, s]) => {
      const at = (path: string) => s.volumes?.find((v) => v.endsWith(`:${path}`))?.split(":")[0];
      return { name, data: at("/var/lib/postgresql/data"), repo: at("/var/lib/pgbackrest") };
    });
    const data = mounts.map((m) => m.data);
    expect(data.every((d) => d !== undefined && d in compose.volumes)).toBe(true);
    expect(new Set(data).size).toBe(mounts.length);
    expect(new Set(mounts.map((m) => m.repo)).size).toBe(1);
    expect(mounts[0]!.repo! in compose.volumes).toBe(true);
  });
});
