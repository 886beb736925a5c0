// A known fault of the `postgres` driver (3.4.x): when the server goes away, a write scheduled on
// setImmediate can run after the connection dropped its socket and throw
// "Cannot read properties of null (reading 'write')" from connection.js nextWrite. The queries of
// that connection have already failed with a connection error; the throw itself is harmless, but
// uncaught it would kill a gateway exactly when its cell's Postgres is down, so the cell would
// not come back with it. This recognises that one error and nothing else.
export function isPostgresDriverLateWrite(err: unknown): boolean {
  // Duck-typed: the test runner hands over a serialised copy, not the TypeError itself.
  const e = err as { message?: unknown; stack?: unknown; stacks?: unknown } | null;
  if (typeof e?.message !== "string" || !e.message.includes("reading 'write'")) return false;
  const where = `${String(e.stack ?? "")} ${JSON.stringify(e.stacks ?? "")}`;
  return /postgres[\\/]src[\\/]connection\.js/.test(where) && where.includes("nextWrite");
}

/** Installs a process-wide guard that logs the known driver fault instead of crashing on it. */
export function guardKnownLibraryFaults(onFault: (err: Error) => void): void {
  process.on("uncaughtException", (err) => {
    if (isPostgresDriverLateWrite(err)) {
      onFault(err);
      return;
    }
    // Anything else is a real bug: behave as Node would without this handler.
    process.stderr.write(`${err.stack ?? String(err)}\n`);
    process.exit(1);
  });
}
