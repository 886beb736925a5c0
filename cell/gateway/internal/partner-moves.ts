// /internal/v1 routes for moving a partner between cells (driven by control-plane/moves):
// export/import pages of rows, transaction ids for catch-up, checksums, the freeze that stops the
// partner's writes in this cell, in-flight and worker backlog checks, activation and purge.
// Export and import also need a move capability naming this cell (move-capability-check.ts).
import type { Hono } from "hono";
import { z } from "zod";
import { ApiError, notFound } from "../../../shared/errors.ts";
import { partnerTable } from "../../db/partner-tables.ts";
import { findPartner, forgetPartnerKeys } from "../../partners/partner-admin.ts";
import {
  checksums,
  conflictingDataKeys,
  currentXid,
  exportRows,
  importRows,
  purgePartner,
  workerBacklog,
} from "../../partners/partner-copy.ts";
import type { AppEnv } from "../app-env.ts";
import { requireMoveCapability } from "./move-capability-check.ts";
import { parseBody } from "./parse-body.ts";

const importBody = z.object({ rows: z.array(z.record(z.string(), z.unknown())).max(5000) });
const unfreezeBody = z.object({ status: z.enum(["active", "suspended"]).default("active") });

function tableParam(name: string) {
  const t = partnerTable(name);
  if (!t) throw new ApiError("invalid_request", `Unknown table '${name.slice(0, 40)}'.`, { param: "table" });
  return t;
}

export function registerInternalPartnerMoves(app: Hono<AppEnv>) {
  app.get("/xid", async (c) => c.json({ xid: await currentXid(c.get("deps").sql) }));

  app.get("/partners/:id/export/:table", async (c) => {
    requireMoveCapability(c, c.req.param("id"), "source");
    const t = tableParam(c.req.param("table"));
    const after = c.req.query("after");
    const since = c.req.query("since_xid");
    const limit = Math.min(Number(c.req.query("limit") ?? 1000) || 1000, 5000);
    const page = await exportRows(c.get("deps").sql, t, c.req.param("id"), {
      after: after ? (JSON.parse(after) as unknown[]) : undefined,
      sinceXid: since ? Number(since) : undefined,
      limit,
    });
    return c.json(page);
  });

  app.post("/partners/:id/import/:table", async (c) => {
    requireMoveCapability(c, c.req.param("id"), "target");
    const t = tableParam(c.req.param("table"));
    const { rows } = await parseBody(c, importBody);
    const foreign = t.partnerColumn ? rows.find((r) => r[t.partnerColumn!] !== c.req.param("id")) : undefined;
    if (foreign) throw new ApiError("invalid_request", "Every row must belong to the partner in the path.");
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
    return c.json({ imported: await importRows(sql, t, rows) });
  });

  app.get("/partners/:id/checksums", async (c) =>
    c.json({ tables: await checksums(c.get("deps").sql, c.req.param("id")) }),
  );

  // Freeze: this gateway refuses the partner at once (503 partner_moving, which the router holds and
  // retries), and the stored status makes every other or restarted gateway do the same.
  app.post("/partners/:id/freeze", async (c) => {
    const { sql, redis, frozenPartners } = c.get("deps");
    const id = c.req.param("id");
    frozenPartners.add(id);
    const rows = await sql`update partners set status = 'moving' where id = ${id} returning id`;
    if (rows.length === 0) {
      frozenPartners.delete(id);
      throw notFound("partner", id);
    }
    await forgetPartnerKeys(sql, redis, id);
    return c.json({ partner_id: id, frozen: true, in_flight: c.get("deps").inFlight.of(id) });
  });

  app.delete("/partners/:id/freeze", async (c) => {
    const { status } = await parseBody(c, unfreezeBody);
    const { sql, redis, frozenPartners } = c.get("deps");
    const id = c.req.param("id");
    frozenPartners.delete(id);
    await sql`update partners set status = ${status} where id = ${id}`;
    await forgetPartnerKeys(sql, redis, id);
    return c.json({ partner_id: id, frozen: false });
  });

  app.get("/partners/:id/in-flight", (c) =>
    c.json({ in_flight: c.get("deps").inFlight.of(c.req.param("id")) }),
  );

  app.get("/partners/:id/backlog", async (c) =>
    c.json(await workerBacklog(c.get("deps").sql, c.req.param("id"))),
  );

  /** After the route flipped to this cell: the copied partner takes traffic here. */
  app.post("/partners/:id/activate", async (c) => {
    const { status } = await parseBody(c, unfreezeBody);
    const { sql, redis, frozenPartners } = c.get("deps");
    const id = c.req.param("id");
    frozenPartners.delete(id);
    await sql`update partners set status = ${status} where id = ${id}`;
    await forgetPartnerKeys(sql, redis, id);
    const partner = await findPartner(sql, id);
    if (!partner) throw notFound("partner", id);
    return c.json(partner);
  });

  app.delete("/partners/:id", async (c) => {
    const { sql, redis, frozenPartners } = c.get("deps");
    const id = c.req.param("id");
    await forgetPartnerKeys(sql, redis, id);
    frozenPartners.delete(id);
    return c.json({ partner_id: id, deleted: await purgePartner(sql, id) });
  });
}
