// Bounds how long a query waits for a connection to the cell's primary. With a multi-host URL and
// target_session_attrs, postgres.js cycles through the hosts until one accepts as primary, with no
// limit: while a replicated cell has no primary (its machine died and the leader lock has not
// expired yet), every query would wait for the whole switch, and the partner's request hangs.
// Here a query (or a transaction) that has not reached a server after `waitMs` is withdrawn
// before anything was sent and fails with PRIMARY_UNAVAILABLE, which the gateway turns into a
// 503 with Retry-After. A query already on a server is left to the server's statement_timeout
// and to TCP keepalive (a withdrawn query never runs later; a sent one may have, so it is not
// pretended otherwise).
import type postgres from "postgres";

/** The error code of a query withdrawn because no primary took it in time. */
export const PRIMARY_UNAVAILABLE = "PRIMARY_UNAVAILABLE";

export class PrimaryUnavailableError extends Error {
  readonly code = PRIMARY_UNAVAILABLE;
  constructor(waitMs: number, cause?: unknown) {
    super(`no primary database server took the query within ${waitMs} ms`, { cause });
  }
}

/** The fields of a postgres.js Query this relies on (state is set once it is sent to a server). */
interface PendingQuery {
  state: unknown;
  cancel(): unknown;
  then: Promise<unknown>["then"];
}

const isTemplate = (args: unknown[]) => Array.isArray(args[0]) && Object.hasOwn(args[0] as object, "raw");

export function withConnectionDeadline(sql: postgres.Sql, waitMs: number): postgres.Sql {
  const guard = (query: PendingQuery): PendingQuery => {
    const then = query.then.bind(query);
    // Fragments (sql`and id < ${x}` inside another query) are never awaited: the deadline starts
    // only when the query itself runs. Overriding `then` is the point: awaiting is what runs it.
    // biome-ignore lint/suspicious/noThenProperty: the query is a promise; this wraps its own then
    query.then = ((onFulfilled, onRejected) => {
      let withdrawn = false;
      const timer = setTimeout(() => {
        if (query.state !== null && query.state !== undefined) return; // on a server already
        withdrawn = true;
        query.cancel();
      }, waitMs);
      timer.unref?.();
      return then(
        (value) => {
          clearTimeout(timer);
          return value;
        },
        (err: unknown) => {
          clearTimeout(timer);
          throw withdrawn ? new PrimaryUnavailableError(waitMs, err) : err;
        },
      ).then(onFulfilled, onRejected);
    }) as Promise<unknown>["then"];
    return query;
  };

  const begin = (async (...args: unknown[]) => {
    const fn = args[args.length - 1] as (tx: postgres.TransactionSql) => unknown;
    let started = false;
    let abandoned = false;
    let timer: NodeJS.Timeout | undefined;
    const body = (tx: postgres.TransactionSql) => {
      // A transaction that got its connection after the caller was told "unavailable" must not
      // write anything: its body throws, and the transaction rolls back.
      if (abandoned) throw new PrimaryUnavailableError(waitMs);
      started = true;
      clearTimeout(timer);
      return fn(tx);
    };
    const running = (sql.begin as (...a: unknown[]) => Promise<unknown>)(...args.slice(0, -1), body);
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        if (started) return;
        abandoned = true;
        reject(new PrimaryUnavailableError(waitMs));
      }, waitMs);
      timer.unref?.();
    });
    running.catch(() => {}); // after a deadline, its own failure has no one to tell
    try {
      return await Promise.race([running, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }) as postgres.Sql["begin"];

  return new Proxy(sql, {
    apply(target, thisArg, args: unknown[]) {
      const result = Reflect.apply(target, thisArg, args);
      return isTemplate(args) ? guard(result as PendingQuery) : result;
    },
    get(target, prop, receiver) {
      if (prop === "begin") return begin;
      if (prop === "unsafe") {
        return (...args: unknown[]) =>
          guard((target.unsafe as unknown as (...a: unknown[]) => PendingQuery).apply(target, args));
      }
      return Reflect.get(target, prop, receiver);
    },
  });
}
