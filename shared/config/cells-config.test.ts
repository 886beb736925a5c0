// cells.yaml: the real file parses, a bad file stops start-up naming the field, and a component's
// URL comes from the environment override, then `url`, then the local port.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  type CellConfig,
  ConfigError,
  cellsFilePath,
  componentUrl,
  loadCellsFile,
  parseCellsFile,
} from "./cells-config.ts";

const repoCellsYaml = new URL("../../cells.yaml", import.meta.url);

const cellA = `  - id: cell-a
    gateway_port: 17100
    internal_port: 17150
    postgres: { port: 17110 }
    redis: { port: 17111 }
    nats: { port: 17112 }
`;
const file = (...cells: string[]) => `cells:\n${cells.join("")}`;

/** The ConfigError message parseCellsFile throws for `text` (fails the test if it does not throw). */
function errorOf(text: string): string {
  try {
    parseCellsFile(text, "cells.yaml");
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error("expected parseCellsFile to throw");
}

describe("parseCellsFile", () => {
  it("the cells.yaml at the repository root parses into at least two cells with distinct ports", () => {
    const parsed = parseCellsFile(readFileSync(repoCellsYaml, "utf8"));
    expect(parsed.cells.length).toBeGreaterThanOrEqual(2);
    const ids = parsed.cells.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    const ports = parsed.cells.flatMap((c) => [
      c.gateway_port,
      c.internal_port,
      c.postgres.port,
      c.redis.port,
      c.nats.port,
    ]);
    expect(new Set(ports).size).toBe(ports.length);
  });

  it("the bench's topology parses too, with the same cell ids and ports as cells.yaml", () => {
    const root = new URL("../..", import.meta.url).pathname;
    const bench = loadCellsFile(cellsFilePath(root, { CELLPAY_CELLS_FILE: "bench/cells.bench.yaml" }));
    const main = loadCellsFile(cellsFilePath(root, {}));
    expect(bench.cells.map((c) => [c.id, c.gateway_port, c.internal_port, c.postgres.port])).toEqual(
      main.cells.map((c) => [c.id, c.gateway_port, c.internal_port, c.postgres.port]),
    );
  });

  it("CELLPAY_CELLS_FILE picks another file, relative to the root or absolute", () => {
    expect(cellsFilePath("/repo", {})).toBe("/repo/cells.yaml");
    expect(cellsFilePath("/repo", { CELLPAY_CELLS_FILE: "bench/x.yaml" })).toBe("/repo/bench/x.yaml");
    expect(cellsFilePath("/repo", { CELLPAY_CELLS_FILE: "/etc/cells.yaml" })).toBe("/etc/cells.yaml");
  });

  it("fills the defaults: weight 1 and one gateway", () => {
    const [cell] = parseCellsFile(file(cellA)).cells;
    expect(cell).toMatchObject({ id: "cell-a", weight: 1, gateways: 1, gateway_port: 17100 });
  });

  it("a component with neither port nor url is named: cells[1].postgres: needs a port or a url", () => {
    const bad = cellA.replace("cell-a", "cell-b").replace("postgres: { port: 17110 }", "postgres: {}");
    expect(errorOf(file(cellA, bad))).toContain("cells[1].postgres: needs a port or a url");
  });

  it("a missing internal_port is named", () => {
    expect(errorOf(file(cellA.replace("    internal_port: 17150\n", "")))).toContain(
      "cells[0].internal_port:",
    );
  });

  it("overlapping ports are named at the later one, counting every gateway instance's ports", () => {
    // Two gateways take 17150 and 17151: an internal_port of 17151 elsewhere collides.
    const two = cellA.replace("    gateway_port", "    gateways: 2\n    gateway_port");
    const b = cellA
      .replace("cell-a", "cell-b")
      .replace(/171(\d\d)/g, "172$1")
      .replace("17250", "17151");
    expect(errorOf(file(two, b))).toContain(
      "cells[1].internal_port: ports 17151 overlap cells[0].internal_port (17150-17151)",
    );
    const sameAsRouter = cellA.replace("internal_port: 17150", "internal_port: 17001");
    expect(errorOf(file(sameAsRouter))).toContain(
      "cells[0].internal_port: ports 17001 overlap platform.routers.port (17001-17002)",
    );
    const internalOnPostgres = cellA.replace("internal_port: 17150", "internal_port: 17110");
    expect(errorOf(file(internalOnPostgres))).toContain(
      "cells[0].postgres.port: ports 17110 overlap cells[0].internal_port",
    );
  });

  it("a missing gateway_port is named", () => {
    const message = errorOf(file(cellA.replace("    gateway_port: 17100\n", "")));
    expect(message).toMatch(/^cells\.yaml is invalid:/);
    expect(message).toContain("cells[0].gateway_port:");
  });

  it.each([
    ["upper case", "Cell-A"],
    ["a leading digit", "1cell"],
    ["an underscore", "cell_a"],
    ["a single letter", "a"],
  ])("an id with %s is named with the rule it breaks", (_what, id) => {
    const message = errorOf(file(cellA.replace("cell-a", id)));
    expect(message).toContain("cells[0].id: lower-case letters, digits and dashes, starting with a letter");
  });

  it("a duplicate id is named at the second occurrence", () => {
    const twin = cellA.replace(/171(\d\d)/g, "172$1");
    expect(errorOf(file(cellA, twin))).toContain("cells[1].id: duplicate cell id");
  });

  it("a weight given as a string is named", () => {
    const message = errorOf(file(cellA.replace("    gateway_port", '    weight: "heavy"\n    gateway_port')));
    expect(message).toContain("cells[0].weight:");
  });

  it("a port out of range, a bad url and an unknown key are each named", () => {
    expect(errorOf(file(cellA.replace("gateway_port: 17100", "gateway_port: 80")))).toContain(
      "cells[0].gateway_port:",
    );
    expect(errorOf(file(cellA.replace("redis: { port: 17111 }", "redis: { url: not a url }")))).toContain(
      "cells[0].redis.url:",
    );
    expect(errorOf(file(cellA.replace("    gateway_port", "    region: eu\n    gateway_port")))).toMatch(
      /cells\[0\]: .*region/,
    );
  });

  it("every problem in the file is listed, one per line", () => {
    const bad = cellA
      .replace("gateway_port: 17100", "gateway_port: 1")
      .replace("nats: { port: 17112 }", "nats: {}");
    const lines = errorOf(file(bad)).split("\n").slice(1);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringContaining("cells[0].gateway_port:"),
        expect.stringContaining("cells[0].nats: needs a port or a url"),
      ]),
    );
  });

  it("invalid YAML stops with 'not valid YAML' and the source name", () => {
    expect(() => parseCellsFile("cells:\n  - id: [unclosed\n", "my-cells.yaml")).toThrow(
      /^my-cells\.yaml: not valid YAML: /,
    );
  });

  it("an empty file, an empty cell list and a file without `cells` are refused, naming `cells`", () => {
    expect(errorOf("")).toMatch(/^cells\.yaml is invalid:\n.*expected object, received null/);
    expect(errorOf("cells: []")).toContain("cells: Too small");
    const misspelt = errorOf("cell:\n  - id: cell-a\n");
    expect(misspelt).toContain("cells: Invalid input: expected array, received undefined");
    expect(misspelt).toContain('Unrecognized key: "cell"');
  });
});

describe("componentUrl", () => {
  const [portCell] = parseCellsFile(file(cellA)).cells as [CellConfig];
  const withUrl: CellConfig = {
    ...portCell,
    postgres: { port: 17110, url: "postgres://app@db.internal:5432/cellpay", replicas: 1 },
  };

  it("the environment override wins over url and port", () => {
    const env = { CELLPAY_CELL_A_POSTGRES_URL: "postgres://override@10.0.0.9:5432/cellpay" };
    expect(componentUrl(withUrl, "postgres", env)).toBe("postgres://override@10.0.0.9:5432/cellpay");
    expect(componentUrl(portCell, "postgres", env)).toBe("postgres://override@10.0.0.9:5432/cellpay");
  });

  it("the override is per cell and per component: other names do not apply", () => {
    const env = { CELLPAY_CELL_B_POSTGRES_URL: "postgres://b", CELLPAY_CELL_A_REDIS_URL: "redis://r:6379" };
    expect(componentUrl(withUrl, "postgres", env)).toBe("postgres://app@db.internal:5432/cellpay");
    expect(componentUrl(portCell, "redis", env)).toBe("redis://r:6379");
  });

  it("an empty override is ignored", () => {
    expect(componentUrl(withUrl, "postgres", { CELLPAY_CELL_A_POSTGRES_URL: "" })).toBe(
      "postgres://app@db.internal:5432/cellpay",
    );
  });

  it("without an override, url wins over port", () => {
    expect(componentUrl(withUrl, "postgres", {})).toBe("postgres://app@db.internal:5432/cellpay");
  });

  it("with only a port, each component gets its local URL", () => {
    expect(componentUrl(portCell, "postgres", {})).toBe("postgres://postgres@127.0.0.1:17110/cellpay");
    expect(componentUrl(portCell, "redis", {})).toBe("redis://127.0.0.1:17111");
    expect(componentUrl(portCell, "nats", {})).toBe("nats://127.0.0.1:17112");
  });

  it("a replicated Postgres gets a multi-host URL that only a primary will answer", () => {
    const replicated = cellA.replace("postgres: { port: 17110 }", "postgres: { port: 17120, replicas: 2 }");
    const [cell] = parseCellsFile(file(replicated)).cells as [CellConfig];
    expect(componentUrl(cell, "postgres", {})).toBe(
      "postgres://postgres@127.0.0.1:17120,127.0.0.1:17121/cellpay?target_session_attrs=primary",
    );
  });
});

describe("replicated postgres in cells.yaml", () => {
  it("replicas 2 takes 6 consecutive ports (2 Postgres, 2 Patroni REST, etcd client and peer), checked for overlap", () => {
    const replicated = cellA.replace("postgres: { port: 17110 }", "postgres: { port: 17106, replicas: 2 }");
    expect(errorOf(file(replicated))).toContain(
      "cells[0].redis.port: ports 17111 overlap cells[0].postgres.port (17106-17111)",
    );
  });

  it("a postgres url must be a postgres:// URL; several hosts are allowed", () => {
    const bad = cellA.replace("postgres: { port: 17110 }", 'postgres: { url: "http://x" }');
    expect(errorOf(file(bad))).toContain("cells[0].postgres.url: must be a postgres:// URL");
    const multi = cellA.replace(
      "postgres: { port: 17110 }",
      'postgres: { url: "postgres://app@db1:5432,db2:5432/cellpay?target_session_attrs=primary", replicas: 2 }',
    );
    expect(parseCellsFile(file(multi)).cells[0]!.postgres.replicas).toBe(2);
  });
});
