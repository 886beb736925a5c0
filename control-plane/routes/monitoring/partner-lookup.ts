// One partner's registry row for the dashboard's partner page.
import { eq } from "drizzle-orm";
import { notFound } from "../../../shared/errors.ts";
import type { ControlPlaneDb } from "../../db/client.ts";
import { partners } from "../../db/schema.ts";

export async function findPartnerOr404(db: ControlPlaneDb, id: string) {
  const rows = await db.select().from(partners).where(eq(partners.id, id)).limit(1);
  if (!rows[0]) throw notFound("partner", id);
  return rows[0];
}
