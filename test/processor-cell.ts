// A cell's infrastructure (real Postgres, Redis, NATS) migrated, with the dependencies a core
// processor's handlers take: for tests that drive the handlers and the consumer runner directly.

import { createDb } from "../cell/db/client.ts";
import { migrateCellDatabase } from "../cell/db/migrate.ts";
import type { ProcessorDeps } from "../cell/events/processors/event-handler.ts";
import { generateMasterKeyBase64 } from "../cell/vault/envelope.ts";
import { keyringSource } from "../cell/vault/master-keyring.ts";
import { createVault } from "../cell/vault/vault.ts";
import { type CellInfra, startTestCellInfra } from "../platform/cell-infra.ts";
import { createLogger } from "../shared/logger.ts";

export interface ProcessorCell {
  infra: CellInfra;
  database: ReturnType<typeof createDb>;
  deps: ProcessorDeps;
  stop(): Promise<void>;
}

export async function startProcessorCell(cellId = "cell-test", poolMax = 4): Promise<ProcessorCell> {
  const infra = await startTestCellInfra(cellId);
  try {
    await migrateCellDatabase(infra.postgresUrl);
    const database = createDb(infra.postgresUrl, { max: poolMax });
    const keyring = keyringSource({ CELLPAY_MASTER_KEY: generateMasterKeyBase64() });
    const deps: ProcessorDeps = {
      cellId,
      sql: database.sql,
      db: database.db,
      vault: await createVault({ db: database.db, sql: database.sql, keyring, cellId }),
      log: createLogger({ service: "test", level: "silent" }),
      clock: () => new Date(),
    };
    return {
      infra,
      database,
      deps,
      async stop() {
        await database.end();
        await infra.stop();
      },
    };
  } catch (err) {
    await infra.stop();
    throw err;
  }
}
