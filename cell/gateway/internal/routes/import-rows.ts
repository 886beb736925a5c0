// POST /internal/v1/partners/:id/import/:table: upserts rows exactly as exported. Needs a move
// capability naming this partner and this cell as the move's target; every row must be the
// partner's; a data key may be added, never given another sealed value. `delete_keys` (from the
// source's change log) deletes the partner's rows with those primary keys.
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { importRequest, importResponse, partnerTableParams } from "../../../../shared/cell-api/contract.ts";
import { ApiError, invalidRequest } from "../../../../shared/errors.ts";
import { deleteKeys } from "../../../partners/change-log.ts";
import { conflictingDataKeys, importRows } from "../../../partners/partner-copy.ts";
import type { AppEnv } from "../../app-env.ts";
import { requireMoveCapability } from "../move-capability-check.ts";
import { errorJson, internalErrors, internalRouteBase, json, jsonBody } from "./internal-route.ts";
import { partnerTableOr400 } from "./partner-table.ts";

export const importRowsRoute = createRoute({
  ...internalRouteBase,
  method: "post",
  path: "/partners/{id}/import/{table}",
  summary: "Import a partner's rows (move capability: this cell as target)",
  request: { params: partnerTableParams, ...jsonBody(importRequest) },
  responses: {
    200: json(importResponse, "Rows written"),
    ...internalErrors,
    409: errorJson("A data key with another sealed value"),
    413: errorJson("Body over the internal API's limit"),
  },
});

export function registerImportRows(app: OpenAPIHono<AppEnv>) {
  app.openapi(importRowsRoute, async (c) => {
    const { id, table } = c.req.valid("param");
    requireMoveCapability(c, id, "target");
    const t = partnerTableOr400(table);
    const { rows, delete_keys: deletes } = c.req.valid("json");
    const column = t.partnerColumn;
    if (column && rows.some((r) => r[column] !== id)) {
      throw new ApiError("invalid_request", "Every row must belong to the partner in the path.");
    }
    const { sql } = c.get("deps");
    if (t.table === "data_keys") {
      // A data key is shared by every partner of the cell: an import may add one this cell lacks,
      // never replace the sealed value of one it has (that would re-key every partner's cards).
      const conflicting = await conflictingDataKeys(sql, rows);
      if (conflicting.length > 0) {
        throw new ApiError(
          "data_key_conflict",
          `Data key '${conflicting[0]!.slice(0, 40)}' already exists here with another sealed value.`,
        );
      }
    }
    const imported = await importRows(sql, t, rows);
    if (deletes && deletes.length > 0) {
      if (!column) throw invalidRequest("delete_keys", `'${t.table}' rows are never deleted by a move.`);
      try {
        await deleteKeys(sql, t, id, deletes);
      } catch (err) {
        if (String((err as { code?: string }).code ?? "").startsWith("22"))
          throw invalidRequest("delete_keys", "A key value does not fit its column's type.");
        throw err;
      }
    }
    return c.json({ imported }, 200);
  });
}
