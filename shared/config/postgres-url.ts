// A Postgres connection URL as postgres.js takes it, including the multi-host form a replicated
// cell uses (postgres://user@h1:p1,h2:p2/db?target_session_attrs=primary), which WHATWG URL
// parsing (and so z.string().url()) rejects.
import { z } from "zod";

export function isPostgresUrl(value: string): boolean {
  const match = /^(postgres(?:ql)?:\/\/)([^/?#]*@)?([^/?#]+)(.*)$/.exec(value);
  if (match === null) return false;
  const [, scheme, user = "", hosts = "", rest = ""] = match;
  const hostList = hosts.split(",");
  if (
    hostList.some((h) => !/^[A-Za-z0-9.[\]:-]+$/.test(h) || !/^[^:]+(:\d{1,5})?$|^\[.+\](:\d{1,5})?$/.test(h))
  ) {
    return false;
  }
  try {
    new URL(`${scheme}${user}${hostList[0]}${rest}`);
    return true;
  } catch {
    return false;
  }
}

export const postgresUrl = z
  .string()
  .refine(
    isPostgresUrl,
    "must be a postgres:// URL (one host, or host:port,host:port,... for a replicated cell)",
  );
