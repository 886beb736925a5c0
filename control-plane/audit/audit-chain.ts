// The audit trail's hash chain, pure: a row's canonical form, its hash, and the check the verify
// command runs over an export. hash = SHA-256(prev_hash + "\n" + canonical row), so changing,
// inserting or deleting a row breaks either its own hash or the next row's link.
import { createHash } from "node:crypto";

/** The fields a row's hash covers, as the export gives them. */
export interface ChainedAuditRow {
  id: number;
  actor: string;
  actor_name: string;
  actor_role: string;
  source_ip: string | null;
  request_id: string | null;
  action: string;
  target: string;
  reason: string | null;
  status: number | null;
  before: unknown;
  after: unknown;
  /** ISO 8601 with milliseconds, UTC. */
  created_at: string;
  prev_hash: string;
  hash: string;
}

/** JSON with object keys sorted at every depth: jsonb does not keep key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

export function auditRowHash(row: Omit<ChainedAuditRow, "hash">): string {
  const canonical = canonicalJson([
    row.id,
    row.actor,
    row.actor_name,
    row.actor_role,
    row.source_ip,
    row.request_id,
    row.action,
    row.target,
    row.reason,
    row.status,
    row.before ?? null,
    row.after ?? null,
    row.created_at,
  ]);
  return createHash("sha256").update(`${row.prev_hash}\n${canonical}`).digest("hex");
}

export interface ChainProblem {
  id: number;
  problem: string;
}

/**
 * Checks rows in id order. Rows from before the chain existed (empty hash) may only come first.
 * `head` is the chain head when the rows run to the end: a deleted last row shows there.
 */
export function verifyAuditChain(
  rows: ChainedAuditRow[],
  head?: { last_id: number; last_hash: string },
): { checked: number; problems: ChainProblem[] } {
  const problems: ChainProblem[] = [];
  let prev: ChainedAuditRow | undefined;
  let chained = false;
  let checked = 0;
  for (const row of rows) {
    if (!chained && row.hash === "" && row.prev_hash === "") continue; // legacy, before the chain
    chained = true;
    checked++;
    if (auditRowHash(row) !== row.hash) {
      problems.push({ id: row.id, problem: "its content does not match its hash (the row was changed)" });
    }
    if (prev && row.prev_hash !== prev.hash) {
      problems.push({
        id: row.id,
        problem: `its prev_hash does not link to row ${prev.id} (a row between them was removed, inserted or changed)`,
      });
    }
    prev = row;
  }
  if (head && prev && (head.last_id !== prev.id || head.last_hash !== prev.hash)) {
    problems.push({
      id: head.last_id,
      problem: `the chain head names row ${head.last_id}, but the trail ends at row ${prev.id} (rows were removed from the end)`,
    });
  }
  return { checked, problems };
}
