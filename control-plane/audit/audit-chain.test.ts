// The hash chain's rules without a database: key order does not matter (jsonb reorders keys),
// legacy rows may only come first, and a change, an insertion, a removal in the middle or at the
// end is each named.
import { describe, expect, it } from "vitest";
import { auditRowHash, type ChainedAuditRow, canonicalJson, verifyAuditChain } from "./audit-chain.ts";

function chain(n: number, prev = ""): ChainedAuditRow[] {
  const rows: ChainedAuditRow[] = [];
  for (let i = 1; i <= n; i++) {
    const row = {
      id: i,
      actor: "atk_1",
      actor_name: "alice",
      actor_role: "admin",
      source_ip: "127.0.0.1",
      request_id: `req_${i}`,
      action: "cell.set_state",
      target: "cell-a",
      reason: "test",
      status: 200,
      before: { state: "active", weight: 1 },
      after: { weight: 1, state: "down" },
      created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
      prev_hash: prev,
    };
    prev = auditRowHash(row);
    rows.push({ ...row, hash: prev });
  }
  return rows;
}
const headOf = (rows: ChainedAuditRow[]) => ({ last_id: rows.at(-1)!.id, last_hash: rows.at(-1)!.hash });

describe("audit chain", () => {
  it("hashes the same row the same whatever the key order", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } })).toBe(
      canonicalJson({ a: { c: null, d: [1, { y: 2, z: 1 }] }, b: 1 }),
    );
    const [row] = chain(1);
    expect(auditRowHash({ ...row!, before: { weight: 1, state: "active" } })).toBe(row!.hash);
  });

  it("passes an intact chain, after legacy rows", () => {
    const legacy = { ...chain(1)[0]!, id: 0, hash: "", prev_hash: "" };
    const rows = chain(5);
    expect(verifyAuditChain([legacy, ...rows], headOf(rows))).toEqual({ checked: 5, problems: [] });
  });

  it("names a changed row, the row after a removed one, and rows removed from the end", () => {
    const rows = chain(6);
    const changed = rows.map((r) => (r.id === 2 ? { ...r, reason: "nothing to see" } : r));
    expect(verifyAuditChain(changed, headOf(rows)).problems.map((p) => p.id)).toEqual([2]);
    const removed = rows.filter((r) => r.id !== 4);
    expect(verifyAuditChain(removed, headOf(rows)).problems).toEqual([
      { id: 5, problem: expect.stringContaining("does not link to row 3") },
    ]);
    const cut = rows.slice(0, 4);
    expect(verifyAuditChain(cut, headOf(rows)).problems).toEqual([
      { id: 6, problem: expect.stringContaining("ends at row 4") },
    ]);
    const blanked = rows.map((r) => (r.id === 3 ? { ...r, hash: "", prev_hash: "" } : r));
    expect(verifyAuditChain(blanked, headOf(rows)).problems.map((p) => p.id)).toEqual([3, 3, 4]);
  });
});
