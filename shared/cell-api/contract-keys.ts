// The cell's internal key-management routes (/internal/v1/keys, cell/gateway/internal/routes/):
// what a cell reports about its data keys and rotations, and what a rotation answers. One
// contract for the cell that serves it and the control plane that parses it (cell-client.ts).
// zod as @hono/zod-openapi extends it: the admin API names these schemas with .openapi().
import { z } from "@hono/zod-openapi";

export const DataKeySchema = z.object({
  id: z.string(),
  state: z.enum(["active", "decrypt_only", "retired"]),
  master_key_id: z.string(),
  sealed_for_cell: z.string().nullable(),
  encryptions: z.number().int(),
  created_at: z.string(),
  rotation_due: z.boolean(),
});

export const DataKeyRotationSchema = z.object({
  id: z.string(),
  status: z.enum(["running", "done"]),
  to_key_id: z.string(),
  cursor: z.object({ table: z.string(), id: z.string() }),
  passes: z.number().int(),
  reencrypted: z.number().int(),
  total: z.number().int(),
  started_at: z.string(),
  finished_at: z.string().nullable(),
});

export const CellKeyStatusSchema = z.object({
  cell_id: z.string(),
  active_master_key_id: z.string(),
  loaded_master_key_ids: z.array(z.string()),
  encryption_limit: z.number().int(),
  max_age_days: z.number().int(),
  data_keys: z.array(DataKeySchema),
  rotation: DataKeyRotationSchema.nullable(),
});

/** POST /keys/rotate-master: this cell's data keys re-sealed under the active master. */
export const MasterRotationResultSchema = z.object({
  master_key_id: z.string(),
  resealed: z.number().int(),
  total: z.number().int(),
});

export const DestroyedKeysSchema = z.object({
  destroyed: z.array(z.string()),
  still_referenced: z.array(z.string()),
});
