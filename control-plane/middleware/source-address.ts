// The caller's address for the audit trail: the TCP peer (the control plane is not behind a
// proxy, so a forwarded-for header would be the caller's own claim and is not trusted).
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context } from "hono";

export function sourceAddress(c: Context): string | null {
  try {
    return getConnInfo(c).remote.address ?? null;
  } catch {
    return null; // app.request() in a unit test has no socket
  }
}
