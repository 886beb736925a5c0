// Schemas of the key-management resources (`keys` in the CLI): what a cell reports about its data
// keys and rotations (cell/vault/vault-keys.ts), as the admin API returns it.
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

export const DataKeyRotationSchema = z
  .object({
    id: z.string(),
    status: z.enum(["running", "done"]),
    to_key_id: z.string(),
    cursor: z.object({ table: z.string(), id: z.string() }),
    passes: z.number().int(),
    reencrypted: z.number().int(),
    total: z.number().int(),
    started_at: z.string(),
    finished_at: z.string().nullable(),
  })
  .openapi("DataKeyRotation");

export const CellKeyStatusSchema = z
  .object({
    cell_id: z.string(),
    active_master_key_id: z.string(),
    loaded_master_key_ids: z.array(z.string()),
    encryption_limit: z.number().int(),
    max_age_days: z.number().int(),
    data_keys: z.array(DataKeySchema),
    rotation: DataKeyRotationSchema.nullable(),
  })
  .openapi("CellKeyStatus");

export const MasterRotationSchema = z
  .object({
    data: z.array(
      z.object({
        cell_id: z.string(),
        master_key_id: z.string(),
        resealed: z.number().int(),
        total: z.number().int(),
      }),
    ),
  })
  .openapi("MasterRotation");

export const RotateMasterBodySchema = z
  .object({
    cell_id: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .openapi({ description: "Only this cell (default: every cell)" }),
  })
  .strict();

export type CellKeyStatus = z.infer<typeof CellKeyStatusSchema>;
export type DataKeyRotation = z.infer<typeof DataKeyRotationSchema>;

export const DestroyedKeysSchema = z
  .object({ destroyed: z.array(z.string()), still_referenced: z.array(z.string()) })
  .openapi("DestroyedDataKeys");
