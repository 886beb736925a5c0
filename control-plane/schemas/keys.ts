// Schemas of the key-management resources (`keys` in the CLI): what a cell reports about its data
// keys and rotations (cell/vault/vault-keys.ts), as the admin API returns it.
import { z } from "@hono/zod-openapi";
import {
  DataKeyRotationSchema as CellDataKeyRotation,
  DestroyedKeysSchema as CellDestroyedKeys,
  CellKeyStatusSchema as CellKeyStatusContract,
} from "../../shared/cell-api/contract-keys.ts";

// The cell's answers, from the internal contract, named for the admin API's OpenAPI document.
export const DataKeyRotationSchema = CellDataKeyRotation.openapi("DataKeyRotation");
export const CellKeyStatusSchema = CellKeyStatusContract.openapi("CellKeyStatus");

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

export const DestroyedKeysSchema = CellDestroyedKeys.openapi("DestroyedDataKeys");
