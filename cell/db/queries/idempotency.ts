// Idempotency-key rows (see schema.ts): claim, read, finish, release.
import type { ModeScope } from "../../partners/mode-scope.ts";
import type { Sql } from "../client.ts";
import type { SnakeRow } from "../rows.ts";
import type { idempotencyKeys } from "../schema.ts";

export type IdempotencyRow = Pick<
  SnakeRow<typeof idempotencyKeys.$inferSelect>,
  "request_hash" | "recovery_point" | "resource_id" | "locked_at" | "response_status" | "response_body"
>;

/** Inserts the key; true when this request owns it (exactly one of concurrent requests does). */
export async function claimKey(
  sql: Sql,
  scope: ModeScope,
  key: string,
  requestHash: string,
): Promise<boolean> {
  const rows = await sql`
    insert into idempotency_keys (partner_id, livemode, key, request_hash, recovery_point, locked_at)
    values (${scope.partnerId}, ${scope.livemode}, ${key}, ${requestHash}, 'started', now())
    on conflict do nothing returning 1`;
  return rows.length === 1;
}

export async function readKey(sql: Sql, scope: ModeScope, key: string): Promise<IdempotencyRow | undefined> {
  const rows = await sql<IdempotencyRow[]>`
    select request_hash, recovery_point, resource_id, locked_at, response_status, response_body
    from idempotency_keys where partner_id = ${scope.partnerId} and livemode = ${scope.livemode} and key = ${key}`;
  return rows[0];
}

/** Takes over a key whose request died (lock older than lockMs); false if someone else did. */
export async function takeOverKey(sql: Sql, scope: ModeScope, key: string, lockMs: number): Promise<boolean> {
  const rows = await sql`
    update idempotency_keys set locked_at = now()
    where partner_id = ${scope.partnerId} and livemode = ${scope.livemode} and key = ${key} and recovery_point <> 'finished'
      and (locked_at is null or locked_at < now() - make_interval(secs => ${lockMs / 1000}))
    returning 1`;
  return rows.length === 1;
}

export async function finishKey(
  sql: Sql,
  scope: ModeScope,
  key: string,
  status: number,
  body: unknown,
): Promise<void> {
  await sql`
    update idempotency_keys
    set recovery_point = 'finished', locked_at = null, response_status = ${status}, response_body = ${sql.json(body as never)}
    where partner_id = ${scope.partnerId} and livemode = ${scope.livemode} and key = ${key}`;
}

/** After a failure: forget a key that did nothing yet, or unlock one so a retry resumes at once. */
export async function releaseKey(sql: Sql, scope: ModeScope, key: string): Promise<void> {
  await sql`delete from idempotency_keys where partner_id = ${scope.partnerId} and livemode = ${scope.livemode} and key = ${key} and recovery_point = 'started'`;
  await sql`update idempotency_keys set locked_at = null where partner_id = ${scope.partnerId} and livemode = ${scope.livemode} and key = ${key} and recovery_point = 'resource_created'`;
}
