// Deleting a vaulted card: the row holding its ciphertext is deleted (not flagged), so the token can
// no longer be paid with (detokenize finds nothing), and the `card_token.deleted` event is written
// to the outbox in the same statement, so the deletion and its event commit together or not at all.
// Payments made with the token keep their own copy of brand, last4 and fingerprint, never the PAN.
// Postgres keeps the dead tuple (still AES-GCM ciphertext) until vacuum reclaims it.
import { newId } from "../../shared/ids.ts";
import type { Sql } from "../db/client.ts";
import type { ModeScope } from "../partners/mode-scope.ts";

export interface DeletedCardTokenBody {
  id: string;
  object: "card_token";
  livemode: boolean;
  deleted: true;
  card: { brand: string; last4: string; exp_month: number; exp_year: number; fingerprint: string };
}

interface DeletedRow {
  id: string;
  brand: string;
  last4: string;
  exp_month: number;
  exp_year: number;
  fingerprint: string;
}

/** Deletes this partner's token of this mode; undefined when it has none by that id (any other included). */
export async function deleteCardToken(
  sql: Sql,
  scope: ModeScope,
  tokenId: string,
  traceparent: string | undefined,
): Promise<DeletedCardTokenBody | undefined> {
  const eventId = newId("evt");
  // The event's data is built in SQL from the deleted row, so one round trip does both.
  const rows = await sql<DeletedRow[]>`
    with d as (
      delete from card_tokens
      where id = ${tokenId} and partner_id = ${scope.partnerId} and livemode = ${scope.livemode}
      returning id, brand, last4, exp_month, exp_year, fingerprint
    ), e as (
      insert into events (id, partner_id, livemode, type, data, trace_parent)
      select ${eventId}, ${scope.partnerId}, ${scope.livemode}, 'card_token.deleted',
        jsonb_build_object('id', d.id, 'object', 'card_token', 'livemode', ${scope.livemode}::boolean, 'deleted', true,
          'card', jsonb_build_object('brand', d.brand, 'last4', d.last4, 'exp_month', d.exp_month,
            'exp_year', d.exp_year, 'fingerprint', d.fingerprint)),
        ${traceparent ?? null}
      from d
    )
    select * from d`;
  const row = rows[0];
  if (!row) return undefined;
  return {
    id: row.id,
    object: "card_token",
    livemode: scope.livemode,
    deleted: true,
    card: {
      brand: row.brand,
      last4: row.last4,
      exp_month: row.exp_month,
      exp_year: row.exp_year,
      fingerprint: row.fingerprint,
    },
  };
}
