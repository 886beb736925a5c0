// `keys rotate-data`: re-encrypts every ciphertext of the cell onto one data key, in the
// background, resumable. Each batch runs in one transaction that locks the rotation row (so two
// gateways running it take turns), re-encrypts only values still under another key (compare-and-
// set on the old value), and advances the persisted cursor: nothing is re-encrypted twice, and a
// killed gateway resumes where the last committed batch ended. After a pass, a sweep counts what
// still names another key (written meanwhile by a gateway that had not switched yet, or moved in):
// another pass if anything, else unreferenced keys are retired.
import type { Sql } from "../db/client.ts";
import { dataKeyIdOf, decryptWithDataKey, encryptWithDataKey } from "./envelope.ts";

/** Every column sealed with data keys, and the AAD each value is bound to (grep vault.seal/tokenize). */
const sealedColumns = [
  { table: "card_tokens", columns: ["card_ciphertext"], aad: (r: Row) => `${r.partner_id}:${r.id}` },
  {
    table: "webhook_endpoints",
    columns: ["secret_sealed", "previous_secret_sealed"],
    aad: (r: Row) => String(r.id),
  },
] as const;

type Row = Record<string, string | null>;
const BATCH_ROWS = 200;

export interface RotationView {
  id: string;
  status: "running" | "done";
  to_key_id: string;
  cursor: { table: string; id: string };
  passes: number;
  reencrypted: number;
  total: number;
  started_at: string;
  finished_at: string | null;
}

interface RotationRow {
  id: string;
  to_key_id: string;
  status: "running" | "done";
  cursor_table: string;
  cursor_id: string;
  passes: number;
  reencrypted: string;
  total: string;
  started_at: Date;
  finished_at: Date | null;
}

export const rotationView = (r: RotationRow): RotationView => ({
  id: r.id,
  status: r.status,
  to_key_id: r.to_key_id,
  cursor: { table: r.cursor_table, id: r.cursor_id },
  passes: r.passes,
  reencrypted: Number(r.reencrypted),
  total: Number(r.total),
  started_at: r.started_at.toISOString(),
  finished_at: r.finished_at?.toISOString() ?? null,
});

export async function latestRotation(sql: Sql): Promise<RotationRow | undefined> {
  const [r] = await sql<
    RotationRow[]
  >`select * from data_key_rotations order by started_at desc, id desc limit 1`;
  return r;
}

/** Ciphertexts not under `keyId` (a full scan: the start's denominator and each pass's sweep). */
export async function countOtherKeyRefs(sql: Sql, keyId: string): Promise<number> {
  let n = 0;
  for (const t of sealedColumns) {
    for (const col of t.columns) {
      const [row] = await sql<{ n: string }[]>`
        select count(*) as n from ${sql(t.table)}
        where ${sql(col)} is not null and split_part(${sql(col)}, '.', 2) <> ${keyId}`;
      n += Number(row!.n);
    }
  }
  return n;
}

export interface RotationDeps {
  sql: Sql;
  cellId: string;
  openKey(id: string): Promise<Buffer>;
}

/** One batch; returns false when the rotation is done (or not running). */
export async function rotationStep(deps: RotationDeps, rotationId: string): Promise<boolean> {
  const { sql } = deps;
  return (await sql.begin(async (tx) => {
    const [rot] = await tx<
      RotationRow[]
    >`select * from data_key_rotations where id = ${rotationId} for update`;
    if (rot?.status !== "running") return false;
    const toKey = { id: rot.to_key_id, key: await deps.openKey(rot.to_key_id) };
    const index = Math.max(
      0,
      sealedColumns.findIndex((t) => t.table === rot.cursor_table),
    );
    const t = sealedColumns[index]!;
    const rows = await tx<Row[]>`
      select ${tx(["id", ...(t.table === "card_tokens" ? ["partner_id"] : []), ...t.columns])}
      from ${tx(t.table)} where id > ${rot.cursor_id} order by id limit ${BATCH_ROWS}`;
    let done = 0;
    for (const r of rows) {
      for (const col of t.columns) {
        const old = r[col];
        if (!old || dataKeyIdOf(old) === toKey.id) continue; // the per-row key-id check
        const plain = decryptWithDataKey(await deps.openKey(dataKeyIdOf(old)), old, t.aad(r));
        const next = encryptWithDataKey(toKey, plain, t.aad(r));
        const updated = await tx`
          update ${tx(t.table)} set ${tx(col)} = ${next} where id = ${r.id!} and ${tx(col)} = ${old}`;
        done += updated.count;
      }
    }
    if (done > 0) await tx`update data_keys set encryptions = encryptions + ${done} where id = ${toKey.id}`;
    const last = rows.at(-1)?.id;
    if (rows.length === BATCH_ROWS && last) {
      await tx`update data_key_rotations set cursor_table = ${t.table}, cursor_id = ${last},
        reencrypted = reencrypted + ${done} where id = ${rot.id}`;
      return true;
    }
    const nextTable = sealedColumns[index + 1];
    if (nextTable) {
      await tx`update data_key_rotations set cursor_table = ${nextTable.table}, cursor_id = '',
        reencrypted = reencrypted + ${done} where id = ${rot.id}`;
      return true;
    }
    // End of a pass: sweep. Values under the cell's current active key count as done too (a key
    // that reached its encryption limit during the rotation replaced the target).
    const [active] = await tx<{ id: string }[]>`
      select id from data_keys where cell_id = ${deps.cellId} and state = 'active'
      order by created_at desc limit 1`;
    const left =
      (await countOtherKeyRefs(tx as unknown as Sql, toKey.id)) -
      (active && active.id !== toKey.id ? await countRefsTo(tx as unknown as Sql, active.id) : 0);
    if (left > 0) {
      await tx`update data_key_rotations set cursor_table = ${sealedColumns[0].table}, cursor_id = '',
        passes = passes + 1, reencrypted = reencrypted + ${done} where id = ${rot.id}`;
      return true;
    }
    await tx`
      update data_keys set state = 'retired', retired_at = now()
      where state <> 'retired' and id <> ${toKey.id} and id <> ${active?.id ?? toKey.id}`;
    await tx`update data_key_rotations set status = 'done', finished_at = now(), passes = passes + 1,
      reencrypted = reencrypted + ${done} where id = ${rot.id}`;
    return false;
  })) as boolean;
}

/** Ciphertexts under `keyId`. */
export async function countRefsTo(sql: Sql, keyId: string): Promise<number> {
  let n = 0;
  for (const t of sealedColumns) {
    for (const col of t.columns) {
      const [row] = await sql<{ n: string }[]>`
        select count(*) as n from ${sql(t.table)} where split_part(${sql(col)}, '.', 2) = ${keyId}`;
      n += Number(row!.n);
    }
  }
  return n;
}
