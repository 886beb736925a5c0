// Key management of one cell, behind the internal API's /keys routes: status (keys, their age and
// encryption counts, the latest data-key rotation), rotate-master (re-seal every data key and the
// canary under the keyring's active master) and rotate-data (a new active data key, then the
// background re-encryption of data-key-rotation.ts, resumed at start while one is running).
import type { Logger } from "pino";
import { ApiError } from "../../shared/errors.ts";
import { newId } from "../../shared/ids.ts";
import type { Sql } from "../db/client.ts";
import { resealCanary } from "./canary.ts";
import {
  countOtherKeyRefs,
  countRefsTo,
  latestRotation,
  type RotationView,
  rotationStep,
  rotationView,
} from "./data-key-rotation.ts";
import {
  DATA_KEY_MAX_AGE_DAYS,
  type DataKeyRow,
  insertActiveKey,
  lockDataKeys,
  resealDataKeys,
} from "./data-key-store.ts";
import type { MasterKeyring } from "./master-keyring.ts";

export interface DataKeyView {
  id: string;
  state: DataKeyRow["state"];
  master_key_id: string;
  /** The cell whose KEK seals it (another cell's: moved in, not yet re-sealed here). */
  sealed_for_cell: string | null;
  encryptions: number;
  created_at: string;
  /** Past its cryptoperiod (age or encryptions): rotate it. */
  rotation_due: boolean;
}

export interface KeyStatus {
  cell_id: string;
  active_master_key_id: string;
  loaded_master_key_ids: string[];
  encryption_limit: number;
  max_age_days: number;
  data_keys: DataKeyView[];
  rotation: RotationView | null;
}

export interface VaultKeys {
  status(): Promise<KeyStatus>;
  rotateMaster(): Promise<{ master_key_id: string; resealed: number; total: number }>;
  rotateData(): Promise<RotationView>;
  /** Deletes retired keys that no ciphertext of this cell references (checked again here). */
  destroyRetired(): Promise<{ destroyed: string[]; still_referenced: string[] }>;
  close(): Promise<void>;
}

export function createVaultKeys(deps: {
  sql: Sql;
  cellId: string;
  log: Logger | undefined;
  limit: number;
  /** Re-reads the keyring (a new master may have been added to the file). */
  keyring(): MasterKeyring;
  openKey(id: string): Promise<Buffer>;
  forgetKeys(): void;
  /** Makes the vault pick up the cell's new active key at once. */
  switchNow(): Promise<void>;
  runRotations: boolean;
}): VaultKeys {
  const { sql, cellId } = deps;
  let stopped = false;
  // A keyring file being edited or broken is the operator's to fix: say so (the message names the
  // file and the field, never a key) instead of a bare 500.
  const loadRing = () => {
    try {
      return deps.keyring();
    } catch (err) {
      throw new ApiError("invalid_request", `Cannot load the master keyring: ${(err as Error).message}`, {
        cause: err,
      });
    }
  };
  let running: Promise<void> | undefined;

  async function runLoop(rotationId: string) {
    while (!stopped) {
      try {
        if (!(await rotationStep({ sql, cellId, openKey: deps.openKey }, rotationId))) break;
      } catch (err) {
        if (stopped) break;
        deps.log?.error(
          { err: (err as Error).message, rotation_id: rotationId },
          "data key rotation step failed",
        );
        await new Promise((r) => setTimeout(r, 1000));
      }
      await new Promise((r) => setImmediate(r)); // let requests in between batches
    }
    if (!stopped) deps.log?.info({ rotation_id: rotationId }, "data key rotation finished");
  }

  function startLoop(rotationId: string) {
    if (!deps.runRotations || running) return;
    running = runLoop(rotationId).finally(() => {
      running = undefined;
    });
  }

  // Resume a rotation a previous process left running (its cursor is in the database).
  if (deps.runRotations) {
    void latestRotation(sql)
      .then((r) => {
        if (r?.status === "running") startLoop(r.id);
      })
      .catch((err) => deps.log?.error({ err: err.message }, "cannot resume data key rotation"));
  }

  return {
    async status() {
      const ring = loadRing();
      // The rotation first: a rotation read as done is then never shown with its keys as they were
      // before its last step (which retires them in the same transaction).
      const rotation = await latestRotation(sql);
      const rows = await sql<DataKeyRow[]>`select * from data_keys order by created_at`;
      const now = Date.now();
      return {
        cell_id: cellId,
        active_master_key_id: ring.active.id,
        loaded_master_key_ids: [...ring.byId.keys()],
        encryption_limit: deps.limit,
        max_age_days: DATA_KEY_MAX_AGE_DAYS,
        data_keys: rows.map((r) => ({
          id: r.id,
          state: r.state,
          master_key_id: r.master_key_id,
          sealed_for_cell: r.cell_id,
          encryptions: Number(r.encryptions),
          created_at: r.created_at.toISOString(),
          rotation_due:
            r.state === "active" &&
            (now - r.created_at.getTime() > DATA_KEY_MAX_AGE_DAYS * 86_400_000 ||
              Number(r.encryptions) >= deps.limit / 2),
        })),
        rotation: rotation ? rotationView(rotation) : null,
      };
    },

    async rotateMaster() {
      const ring = loadRing();
      const result = await resealDataKeys(sql, ring, cellId, (done, total) =>
        deps.log?.info({ done, total, master_key_id: ring.active.id }, "re-sealing data keys"),
      );
      await resealCanary(sql, ring, cellId);
      deps.forgetKeys(); // re-open from the new sealed values: proves they open
      deps.log?.info(
        { master_key_id: ring.active.id, ...result },
        "data keys re-sealed under the new master",
      );
      return { master_key_id: ring.active.id, ...result };
    },

    async rotateData() {
      const ring = loadRing();
      const created = (await sql.begin(async (tx) => {
        await lockDataKeys(tx);
        const [run] = await tx`select id from data_key_rotations where status = 'running' limit 1`;
        if (run) return undefined;
        const key = await insertActiveKey(tx, ring, cellId);
        const id = newId("dkr");
        await tx`insert into data_key_rotations (id, to_key_id) values (${id}, ${key.id})`;
        return { id, keyId: key.id };
      })) as { id: string; keyId: string } | undefined;
      if (!created) {
        throw new ApiError(
          "key_rotation_in_progress",
          "A data key rotation is already running in this cell.",
        );
      }
      const total = await countOtherKeyRefs(sql, created.keyId);
      await sql`update data_key_rotations set total = ${total} where id = ${created.id}`;
      await deps.switchNow();
      startLoop(created.id);
      deps.log?.info(
        { rotation_id: created.id, data_key_id: created.keyId, total },
        "data key rotation started",
      );
      return rotationView((await latestRotation(sql))!);
    },

    async destroyRetired() {
      return (await sql.begin(async (tx) => {
        await lockDataKeys(tx);
        const retired = await tx<
          { id: string }[]
        >`select id from data_keys where state = 'retired' order by id`;
        const destroyed: string[] = [];
        const stillReferenced: string[] = [];
        for (const { id } of retired) {
          if ((await countRefsTo(tx as unknown as Sql, id)) > 0) {
            stillReferenced.push(id);
            continue;
          }
          await tx`delete from data_keys where id = ${id} and state = 'retired'`;
          destroyed.push(id);
        }
        deps.log?.info({ destroyed, still_referenced: stillReferenced }, "retired data keys destroyed");
        return { destroyed, still_referenced: stillReferenced };
      })) as { destroyed: string[]; still_referenced: string[] };
    },

    async close() {
      stopped = true;
      await running;
    },
  };
}
