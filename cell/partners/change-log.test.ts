// The change log of a move against a real Postgres (two databases: a move's source and target):
// only the moving partner's changed keys are logged (also on a partitioned table, whose triggers
// clone to its partitions), exportChanges gives their current rows and deletions, the split
// checksums add up and catch one changed value on either side of the split, and stop leaves no
// trigger and no log behind.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CellInfra, startTestCellInfra } from "../../platform/cell-infra.ts";
import { createDb, type Sql } from "../db/client.ts";
import { migrateCellDatabase } from "../db/migrate.ts";
import { partnerTable } from "../db/partner-tables.ts";
import { type KeysByTable, sourceSplitChecksums, splitChecksums } from "./change-checksums.ts";
import { deleteKeys, exportChanges, loggedTables, startChangeLog, stopChangeLog } from "./change-log.ts";
import { exportRows, importRows } from "./partner-copy.ts";

let infra: CellInfra;
let source: ReturnType<typeof createDb>;
let target: ReturnType<typeof createDb>;
const MOVE = "mov_changelogtest";
const A = "ptr_a_changelog";
const B = "ptr_b_changelog";
const cards = partnerTable("card_tokens")!;
const idem = partnerTable("idempotency_keys")!;

beforeAll(async () => {
  infra = await startTestCellInfra("cell-change-log");
  await migrateCellDatabase(infra.postgresUrl);
  const admin = createDb(infra.postgresUrl, { max: 1 });
  await admin.sql`create database move_target`;
  await admin.end();
  const targetUrl = infra.postgresUrl.replace(/\/[^/?]+(\?|$)/, "/move_target$1");
  await migrateCellDatabase(targetUrl);
  source = createDb(infra.postgresUrl, { max: 4 });
  target = createDb(targetUrl, { max: 4 });
});

afterAll(async () => {
  await Promise.all([source?.end(), target?.end()]);
  await infra?.stop();
});

async function card(sql: Sql, partnerId: string, id: string, last4 = "4242") {
  await sql`insert into card_tokens (id, partner_id, card_ciphertext, brand, bin, last4, exp_month, exp_year, fingerprint, livemode)
    values (${id}, ${partnerId}, 'ct', 'visa', '424242', ${last4}, 12, 2030, ${`fp_${id}`}, false)`;
}

async function idemKey(sql: Sql, partnerId: string, key: string) {
  await sql`insert into idempotency_keys (partner_id, livemode, key, request_hash, recovery_point, locked_at)
    values (${partnerId}, false, ${key}, 'h', 'started', now())`;
}

/** The bulk copy of partner A's rows of these tables, as a move does it. */
async function copyAll(partnerId: string) {
  for (const t of [partnerTable("partners")!, cards, idem]) {
    let after: unknown[] | null = null;
    do {
      const page = await exportRows(source.sql, t, partnerId, { after: after ?? undefined, limit: 2 });
      await importRows(target.sql, t, page.rows);
      after = page.next;
    } while (after);
  }
}

const moveTriggers = async (sql: Sql) =>
  sql<{ table: string; clone: boolean; args: string }[]>`
    select c.relname as table, t.tgparentid <> 0 as clone, encode(t.tgargs, 'escape') as args
    from pg_trigger t join pg_class c on c.oid = t.tgrelid where t.tgname = 'cellpay_move_log'`;
const loggedPartners = async (sql: Sql) =>
  sql<{ partner_id: string; move_id: string }[]>`select partner_id, move_id from move_log_partners`;

const byTable = <T extends { table: string }>(rows: T[], table: string): T =>
  rows.find((r) => r.table === table)!;

/** all − changed(keys) on the target, per table: what the source's `unchanged` must equal. */
async function targetUnchanged(keys: KeysByTable) {
  const [all, changed] = [
    await splitChecksums(target.sql, A, "all"),
    await splitChecksums(target.sql, A, "changed", keys),
  ];
  return all.map((t) => {
    const c = byTable(changed, t.table) as typeof t;
    return {
      table: t.table,
      count: t.count - c.count,
      h0: String(BigInt(t.h0) - BigInt(c.h0)),
      h1: String(BigInt(t.h1) - BigInt(c.h1)),
    };
  });
}

describe("the change log of a move", () => {
  it("logs only the moving partner's changed keys, exports their rows and deletions, and splits the checksums exactly", async () => {
    const sql = source.sql;
    for (const p of [A, B]) await sql`insert into partners (id, name) values (${p}, ${p})`;
    for (const i of [1, 2, 3]) await card(sql, A, `ct_a${i}`);
    await card(sql, B, "ct_b1");
    await idemKey(sql, A, "k1");
    await idemKey(sql, A, "k2");
    await idemKey(sql, B, "kb");

    const cursor = await startChangeLog(sql, MOVE, A);
    expect(cursor).toBeGreaterThan(0);
    expect(await startChangeLog(sql, MOVE, A)).toBeGreaterThan(0); // idempotent
    expect(await loggedPartners(sql)).toEqual([{ partner_id: A, move_id: MOVE }]);
    await expect(startChangeLog(sql, "mv_other", A)).rejects.toThrow(/already logged/);
    // The migration's triggers: one per logged table of partner-tables.ts, with its partner
    // column and primary key, cloned onto every partition of the partitioned ones.
    const triggers = await moveTriggers(sql);
    for (const t of loggedTables) {
      const own = triggers.filter((x) => x.table === t.table && !x.clone);
      expect(own).toHaveLength(1);
      expect(own[0]!.args.split("\\000").filter(Boolean)).toEqual([t.table, t.partnerColumn, ...t.pk]);
    }
    expect(triggers.some((t) => t.clone && t.table.startsWith("idempotency_keys_"))).toBe(true);

    await copyAll(A);

    // A's writes (insert, update, delete, a partitioned table) and B's: only A's are logged.
    await card(sql, A, "ct_a4");
    await sql`update card_tokens set last4 = '1111' where id = 'ct_a1'`;
    await sql`delete from card_tokens where id = 'ct_a2'`;
    await idemKey(sql, A, "k3");
    await sql`update idempotency_keys set recovery_point = 'finished' where partner_id = ${A} and key = 'k1'`;
    await card(sql, B, "ct_b2");
    await sql`update card_tokens set last4 = '2222' where id = 'ct_b1'`;
    await sql`update idempotency_keys set recovery_point = 'finished' where partner_id = ${B}`;

    const logged = await sql<{ table_name: string; pk: unknown[] }[]>`
      select table_name, pk from move_row_changes where move_id = ${MOVE} order by seq`;
    expect(logged.filter((r) => r.table_name === "card_tokens").map((r) => r.pk)).toEqual([
      ["ct_a4"],
      ["ct_a1"],
      ["ct_a2"],
    ]);
    const idemKeys = logged.filter((r) => r.table_name === "idempotency_keys").map((r) => r.pk);
    expect(idemKeys.map((pk) => pk.slice(0, 3))).toEqual([
      [A, false, "k3"],
      [A, false, "k1"],
    ]);
    expect(Number.isNaN(Date.parse(String(idemKeys[0]![3])))).toBe(false);
    expect(logged.every((r) => JSON.stringify(r.pk).includes(A) || r.table_name === "card_tokens")).toBe(
      true,
    );

    // Before copying the changes: the rows the log never saw are equal on both sides.
    const before = await sourceSplitChecksums(sql, A, MOVE, "unchanged");
    expect(before.keys.card_tokens).toHaveLength(3);
    expect(await targetUnchanged(before.keys)).toEqual(before.tables);

    // exportChanges: the current rows of the logged keys, and the deleted ones.
    const page = await exportChanges(sql, cards, A, MOVE, { sinceXid8: cursor, limit: 100 });
    expect(page.rows.map((r) => r.id).sort()).toEqual(["ct_a1", "ct_a4"]);
    expect(page.rows.find((r) => r.id === "ct_a1")!.last4).toBe("1111");
    expect(page.deleted).toEqual([["ct_a2"]]);
    expect(page.next).toBeNull();
    // Paged by log position: one key a page here, the same keys in all.
    const first = await exportChanges(sql, cards, A, MOVE, { sinceXid8: cursor, limit: 1 });
    expect(first.next).not.toBeNull();
    // A cursor past every logged transaction reads nothing.
    const later = await sql<{ x: string }[]>`select (pg_current_xact_id()::text::bigint + 1)::text as x`;
    expect(
      (await exportChanges(sql, cards, A, MOVE, { sinceXid8: Number(later[0]!.x), limit: 100 })).rows,
    ).toEqual([]);
    for (const t of [cards, idem]) {
      const p = await exportChanges(sql, t, A, MOVE, { sinceXid8: cursor, limit: 100 });
      await importRows(target.sql, t, p.rows);
      await deleteKeys(target.sql, t, A, p.deleted);
    }

    // Under the freeze: the logged keys' rows match, and unchanged + changed = all on both sides.
    const changed = await sourceSplitChecksums(sql, A, MOVE, "changed");
    expect(await splitChecksums(target.sql, A, "changed", changed.keys)).toEqual(changed.tables);
    const all = await splitChecksums(sql, A, "all");
    expect(await splitChecksums(target.sql, A, "all")).toEqual(all);
    const unchanged = await sourceSplitChecksums(sql, A, MOVE, "unchanged");
    for (const t of all) {
      const u = byTable(unchanged.tables, t.table) as typeof t;
      const c = byTable(changed.tables, t.table) as typeof t;
      expect({ count: u.count + c.count, h0: String(BigInt(u.h0) + BigInt(c.h0)) }).toEqual({
        count: t.count,
        h0: t.h0,
      });
    }
    expect(byTable(all, "card_tokens").count).toBe(3);

    // One changed value on the target is caught on its side of the split.
    await target.sql`update card_tokens set last4 = '9999' where id = 'ct_a3'`;
    const u1 = byTable(await targetUnchanged(unchanged.keys), "card_tokens");
    expect(u1).not.toEqual(byTable(unchanged.tables, "card_tokens"));
    expect(u1.count).toBe(byTable(unchanged.tables, "card_tokens").count);
    await target.sql`update card_tokens set last4 = '4242' where id = 'ct_a3'`;
    await target.sql`update card_tokens set exp_year = 2031 where id = 'ct_a1'`;
    expect(byTable(await splitChecksums(target.sql, A, "changed", changed.keys), "card_tokens")).not.toEqual(
      byTable(changed.tables, "card_tokens"),
    );

    // Stop: the partner no longer logged, no log, later writes not logged; idempotent.
    await stopChangeLog(sql, MOVE);
    await stopChangeLog(sql, MOVE);
    expect(await loggedPartners(sql)).toEqual([]);
    await card(sql, A, "ct_a5");
    const [left] = await sql<{ n: number }[]>`select count(*)::int as n from move_row_changes`;
    expect(left!.n).toBe(0);
  });

  it("refuses move and partner ids that are not id-shaped", async () => {
    await expect(startChangeLog(source.sql, "mov_x'; drop table payments; --", A)).rejects.toThrow(/shape/);
    await expect(startChangeLog(source.sql, MOVE, "ptr_a' or true")).rejects.toThrow(/shape/);
  });
});
