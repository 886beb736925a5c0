// POST /internal/v1/partners/:id/checksums: counts and additive row-hash sums of the partner's
// verified tables, split by the move's change log (cell/partners/change-checksums.ts). Without
// keys, `changed` and `unchanged` read the log of the capability's move (this cell as source) in
// the snapshot of the sums, and answer the keys they used; with keys (the target), `changed`
// covers those. Needs a move capability naming this cell; GET (checksums.ts) keeps the md5 form.
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import {
  partnerIdParams,
  splitChecksumsRequest,
  splitChecksumsResponse,
} from "../../../../shared/cell-api/contract.ts";
import { invalidRequest } from "../../../../shared/errors.ts";
import { sourceSplitChecksums, splitChecksums } from "../../../partners/change-checksums.ts";
import type { AppEnv } from "../../app-env.ts";
import { requireMoveCapability } from "../move-capability-check.ts";
import { internalErrors, internalRouteBase, json, jsonBody } from "./internal-route.ts";
import { partnerTableOr400 } from "./partner-table.ts";

export const splitChecksumsRoute = createRoute({
  ...internalRouteBase,
  method: "post",
  path: "/partners/{id}/checksums",
  summary: "Checksums of a partner's verified tables split by a move's change log (move capability)",
  request: { params: partnerIdParams, ...jsonBody(splitChecksumsRequest) },
  responses: { 200: json(splitChecksumsResponse, "Per-table counts and sums"), ...internalErrors },
});

export function registerSplitChecksums(app: OpenAPIHono<AppEnv>) {
  app.openapi(splitChecksumsRoute, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const { sql } = c.get("deps");
    for (const table of Object.keys(body.keys ?? {})) partnerTableOr400(table);
    if (body.mode !== "all" && !body.keys) {
      const claims = requireMoveCapability(c, id, "source");
      return c.json(await sourceSplitChecksums(sql, id, claims.move_id, body.mode), 200);
    }
    requireMoveCapability(c, id, "source or target");
    try {
      return c.json(
        { tables: await splitChecksums(sql, id, body.mode as "all" | "changed", body.keys) },
        200,
      );
    } catch (err) {
      // A key value that is not of its column's type (22P02 invalid text, 22007/22008 datetime).
      const code = String((err as { code?: string }).code ?? "");
      if (code.startsWith("22")) throw invalidRequest("keys", "A key value does not fit its column's type.");
      throw err;
    }
  });
}
