// /internal/v1/partners: what the control plane does to a partner inside this cell.
import type { Hono } from "hono";
import {
  issueKeyRequest,
  provisionPartnerRequest,
  updatePartnerRequest,
} from "../../../shared/cell-api/contract.ts";
import { notFound } from "../../../shared/errors.ts";
import { apiKeys, partners } from "../../db/schema.ts";
import { generateApiKey } from "../../partners/api-keys.ts";
import { findPartner, listKeys, partnerTraffic, updatePartner } from "../../partners/partner-admin.ts";
import { issueApiKey, revokeApiKey } from "../../partners/provision.ts";
import type { AppEnv } from "../app-env.ts";
import { parseBody } from "./parse-body.ts";

export function registerInternalPartners(app: Hono<AppEnv>) {
  app.post("/partners", async (c) => {
    const req = await parseBody(c, provisionPartnerRequest);
    const { db } = c.get("deps");
    // Idempotent: a retried provisioning finds the partner and only issues the key asked for.
    let apiKey: string | undefined;
    await db.transaction(async (tx) => {
      await tx
        .insert(partners)
        .values({ id: req.id, name: req.name, settings: req.settings })
        .onConflictDoNothing();
      if (req.first_key_mode) {
        const key = generateApiKey(req.id, req.first_key_mode);
        await tx.insert(apiKeys).values({
          id: key.id,
          partnerId: req.id,
          mode: key.mode,
          secretHash: key.secretHash,
          hint: key.hint,
        });
        apiKey = key.secret;
      }
    });
    return c.json({ partner_id: req.id, ...(apiKey ? { api_key: apiKey } : {}) }, 201);
  });

  app.get("/partners/:id", async (c) => {
    const partner = await findPartner(c.get("deps").sql, c.req.param("id"));
    if (!partner) throw notFound("partner", c.req.param("id"));
    return c.json(partner);
  });

  app.patch("/partners/:id", async (c) => {
    const req = await parseBody(c, updatePartnerRequest);
    const { sql, redis } = c.get("deps");
    const partner = await updatePartner(sql, redis, c.req.param("id"), req);
    if (!partner) throw notFound("partner", c.req.param("id"));
    return c.json(partner);
  });

  app.get("/partners/:id/keys", async (c) => {
    return c.json({ data: await listKeys(c.get("deps").sql, c.req.param("id")) });
  });

  app.post("/partners/:id/keys", async (c) => {
    const { mode } = await parseBody(c, issueKeyRequest);
    const { sql, db } = c.get("deps");
    if (!(await findPartner(sql, c.req.param("id")))) throw notFound("partner", c.req.param("id"));
    const key = await issueApiKey(db, c.req.param("id"), mode);
    return c.json({ key_id: key.id, api_key: key.apiKey }, 201);
  });

  app.delete("/partners/:id/keys/:keyId", async (c) => {
    const { db, redis } = c.get("deps");
    return c.json({ revoked: await revokeApiKey(db, c.req.param("id"), c.req.param("keyId"), redis) });
  });

  app.get("/partners/:id/traffic", async (c) => {
    return c.json(await partnerTraffic(c.get("deps").sql, c.req.param("id")));
  });
}
