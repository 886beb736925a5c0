// The demo partner `npm start` prints a key for. Its key lives in .data/demo-partner.json, a
// local-development convenience: the cell itself only ever stores the key's hash.
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { createDb } from "../cell/db/client.ts";
import { hashApiKey } from "../cell/partners/api-keys.ts";
import { createKeyLookup } from "../cell/partners/key-lookup.ts";
import { provisionPartner } from "../cell/partners/provision.ts";

export interface DemoPartner {
  partnerId: string;
  apiKey: string;
  cellId: string;
}

export async function ensureDemoPartner(
  file: string,
  cellId: string,
  databaseUrl: string,
): Promise<DemoPartner> {
  const database = createDb(databaseUrl, { max: 2, applicationName: "launcher" });
  try {
    if (existsSync(file)) {
      const saved = JSON.parse(await readFile(file, "utf8")) as DemoPartner;
      const found = await createKeyLookup(database.sql, { ttlMs: 0 }).find(hashApiKey(saved.apiKey));
      if (found && !found.revoked && saved.cellId === cellId) return saved;
    }
    const { partnerId, apiKey } = await provisionPartner(database.db, { name: "Demo partner" });
    const demo = { partnerId, apiKey, cellId };
    await writeFile(file, `${JSON.stringify(demo, null, 2)}\n`, { mode: 0o600 });
    return demo;
  } finally {
    await database.end();
  }
}
