// The error handler's safety net: a Postgres "data exception" (SQLSTATE class 22) that some input
// still provokes becomes a 400 in the one error shape, whether it comes from the driver or wrapped
// by drizzle; any other database error stays a 500. Real errors from a real Postgres.
import { sql as drizzleSql } from "drizzle-orm";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CellInfra, startTestCellInfra } from "../../platform/cell-infra.ts";
import { createDb } from "../db/client.ts";
import type { AppEnv } from "./app-env.ts";
import { onError } from "./error-handler.ts";

let infra: CellInfra;
let db: ReturnType<typeof createDb>;
let app: Hono<AppEnv>;

beforeAll(async () => {
  infra = await startTestCellInfra("cell-errors");
  db = createDb(infra.postgresUrl, { max: 2 });
  app = new Hono<AppEnv>();
  app.use(async (c, next) => {
    c.set("requestId", "req_test_error_handler");
    await next();
  });
  app.onError(onError);
  const { sql } = db;
  const statements: Record<string, () => Promise<unknown>> = {
    "invalid-text": () => sql`select ${"x"}::int`,
    "numeric-range": () => sql`select ${"99999999999"}::int`,
    "datetime-overflow": () => sql`select make_timestamp(${"2020"}::int, 13, 1, 0, 0, 0)`,
    "nul-in-text": () => sql`select ${"a\u0000b"}::text`,
    "invalid-date-parameter": () => sql`select ${new Date(99999999999999 * 1000)}::timestamptz`,
    "nul-through-drizzle": () => db.db.execute(drizzleSql`select ${"a\u0000b"}::text`),
    "not-input": () => sql`select * from no_such_table`,
  };
  for (const [name, run] of Object.entries(statements)) {
    app.get(`/${name}`, async (c) => c.json(await run()));
  }
});
afterAll(async () => {
  await db?.end();
  await infra?.stop();
});

describe("database errors caused by a value", () => {
  it.each([
    "invalid-text",
    "numeric-range",
    "datetime-overflow",
    "nul-in-text",
    "nul-through-drizzle",
    "invalid-date-parameter",
  ])("%s is a 400 invalid_request in the one error shape, quoting nothing", async (name) => {
    const res = await app.request(`/${name}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: {
        type: "invalid_request_error",
        code: "invalid_request",
        message: "A value in the request is out of range or malformed.",
        request_id: "req_test_error_handler",
      },
    });
  });

  it("any other database error stays a 500 without detail", async () => {
    const res = await app.request("/not-input");
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("internal_error");
    expect(body.error.message).not.toContain("no_such_table");
  });
});
