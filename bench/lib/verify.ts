// "Nothing lost": every payment a 2xx answer created must exist in some cell's database.
import postgres from "postgres";
import type { Check } from "./context.ts";
import type { Platform } from "./platform.ts";
import type { Workload } from "./workload.ts";

export async function verifyNothingLost(
  platform: Platform,
  workload: Workload,
  onlyPartner?: number,
): Promise<Check> {
  const ids = [...workload.createdPayments.entries()]
    .filter(([, v]) => onlyPartner === undefined || v.partner === onlyPartner)
    .map(([id]) => id);
  const urls = Object.entries(platform.cellPostgres);
  if (urls.length === 0)
    return {
      name: "every 2xx payment exists",
      pass: true,
      detail: "skipped: no database access with --target",
    };
  const found = new Set<string>();
  for (const [, url] of urls) {
    const sql = postgres(url, { max: 2, onnotice: () => {}, connect_timeout: 5 });
    try {
      for (let i = 0; i < ids.length; i += 5000) {
        const rows = await sql<
          { id: string }[]
        >`select id from payments where id = any(${ids.slice(i, i + 5000)})`;
        for (const r of rows) found.add(r.id);
      }
    } catch {
      // a cell whose Postgres was killed: its payments are looked for in the others only
    } finally {
      await sql.end({ timeout: 2 });
    }
  }
  const missing = ids.filter((id) => !found.has(id));
  return {
    name: `every 2xx payment exists${onlyPartner !== undefined ? ` (partner #${onlyPartner})` : ""}`,
    pass: missing.length === 0,
    detail: `${ids.length - missing.length}/${ids.length} found${missing.length ? `; missing e.g. ${missing.slice(0, 3).join(", ")}` : ""}`,
  };
}
