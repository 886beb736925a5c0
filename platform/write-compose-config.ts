// `npm run compose:config`: writes docker/patroni/'s templates from the launcher's own modules
// (platform/compose-patroni-config.ts) and cells.yaml. Run after changing either; commit the result.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadCellsFile } from "../shared/config/cells-config.ts";
import { composePatroniYaml, composePgbackrestConf } from "./compose-patroni-config.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
export const composeTemplates = {
  patroni: join(root, "docker", "patroni", "patroni.yml.template"),
  pgbackrest: join(root, "docker", "patroni", "pgbackrest.conf.template"),
};

/** The templates' contents for the repository's cells.yaml (docker-compose.yml mirrors it). */
export function composeTemplateContents(cellsFile = join(root, "cells.yaml")) {
  const { platform } = loadCellsFile(cellsFile);
  return {
    patroni: composePatroniYaml(),
    pgbackrest: composePgbackrestConf(platform.backups.retention_days),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const contents = composeTemplateContents();
  await writeFile(composeTemplates.patroni, contents.patroni);
  await writeFile(composeTemplates.pgbackrest, contents.pgbackrest);
  console.log(`wrote ${composeTemplates.patroni} and ${composeTemplates.pgbackrest}`);
}
