// How many partners each cell has on each API version (the registry's pins), for the dashboard.
// Bounded: cells × the fixed list of versions.
import { sql } from "drizzle-orm";
import { ORIGINAL_API_VERSION } from "../../shared/api-versions.ts";
import type { DbOrTx } from "../db/client.ts";

export interface CellVersionCount {
  cell: string;
  api_version: string;
  partners: number;
}

export async function partnersByVersion(db: DbOrTx): Promise<CellVersionCount[]> {
  const rows = await db.execute<{ cell: string; api_version: string; partners: number }>(sql`
    select cell_id as cell, coalesce(settings->>'api_version', ${ORIGINAL_API_VERSION}) as api_version,
      count(*)::int as partners
    from partners group by 1, 2 order by 1, 2`);
  return [...rows];
}
