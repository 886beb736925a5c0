// Dashboard sessions: logging in exchanges an admin token for a random session id, sent as an
// HttpOnly cookie; only its SHA-256 is stored. A session lasts SESSION_MINUTES from login (not
// sliding) and ends with its token (revoked or expired) or at logout.
import { createHash, randomBytes } from "node:crypto";
import { and, eq, gt, lt } from "drizzle-orm";
import { findActorById } from "../admin-tokens/admin-tokens.ts";
import type { AdminActor } from "../app-env.ts";
import type { DbOrTx } from "../db/client.ts";
import { dashboardSessions } from "../db/schema.ts";

export const SESSION_MINUTES = 30;
export const SESSION_COOKIE = "cellpay_session";
const sessionShape = /^ses_[A-Za-z0-9_-]{43}$/;

const hashOf = (value: string) => createHash("sha256").update(value).digest("hex");

export async function createSession(db: DbOrTx, tokenId: string, now: Date): Promise<string> {
  const value = `ses_${randomBytes(32).toString("base64url")}`;
  // Expired sessions are swept here: logins are rare, so this keeps the table small cheaply.
  await db.delete(dashboardSessions).where(lt(dashboardSessions.expiresAt, now));
  await db.insert(dashboardSessions).values({
    idHash: hashOf(value),
    tokenId,
    expiresAt: new Date(now.getTime() + SESSION_MINUTES * 60_000),
  });
  return value;
}

/** The session's actor, if the session and its token are both still valid. */
export async function findSessionActor(
  db: DbOrTx,
  value: string,
  now: Date,
): Promise<AdminActor | undefined> {
  if (!sessionShape.test(value)) return undefined;
  const row = (
    await db
      .select()
      .from(dashboardSessions)
      .where(and(eq(dashboardSessions.idHash, hashOf(value)), gt(dashboardSessions.expiresAt, now)))
  )[0];
  return row ? findActorById(db, row.tokenId, now) : undefined;
}

export async function endSession(db: DbOrTx, value: string): Promise<void> {
  if (sessionShape.test(value))
    await db.delete(dashboardSessions).where(eq(dashboardSessions.idHash, hashOf(value)));
}
