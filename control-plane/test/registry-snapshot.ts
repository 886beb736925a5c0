// What "nothing changed" means for the control plane: registry counts, the routing version and
// the number of changes in the audit log (every call is audited; a refused one records no change), read straight from its database.
import postgres from "postgres";

export interface RegistrySnapshot {
  partners: number;
  cells: string;
  routingVersion: number;
  auditEntries: number;
}

export async function registrySnapshot(postgresUrl: string): Promise<RegistrySnapshot> {
  const sql = postgres(postgresUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ partners: string; cells: string; version: string; audit: string }[]>`
      select (select count(*) from partners) as partners,
             (select coalesce(string_agg(id || ':' || state, ',' order by id), '') from cells) as cells,
             (select coalesce(max(version), 0) from routing_versions) as version,
             (select count(*) from audit_log where before is not null or after is not null) as audit`;
    return {
      partners: Number(row!.partners),
      cells: row!.cells,
      routingVersion: Number(row!.version),
      auditEntries: Number(row!.audit),
    };
  } finally {
    await sql.end({ timeout: 1 });
  }
}
