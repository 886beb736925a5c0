// Settlement batches close once their day is over plus a day of grace, against a real Postgres.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CellInfra, startTestCellInfra } from "../../../platform/cell-infra.ts";
import { createDb } from "../../db/client.ts";
import { migrateCellDatabase } from "../../db/migrate.ts";
import { closeSettledDays } from "./settlement-closer.ts";

let infra: CellInfra;
let database: ReturnType<typeof createDb>;

beforeAll(async () => {
  infra = await startTestCellInfra();
  await migrateCellDatabase(infra.postgresUrl);
  database = createDb(infra.postgresUrl, { max: 2 });
});
afterAll(async () => {
  await database?.end();
  await infra?.stop();
});

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

describe("settlement closer", () => {
  it("closes batches of days before yesterday, keeps yesterday's and today's open", async () => {
    const { sql } = database;
    for (const [id, d] of [
      ["stl_old", day(-3)],
      ["stl_two_days", day(-2)],
      ["stl_yesterday", day(-1)],
      ["stl_today", day(0)],
    ] as const) {
      await sql`insert into settlements (id, partner_id, livemode, currency, day) values (${id}, 'ptr_x', false, 'EUR', ${d})`;
    }
    expect(await closeSettledDays(sql)).toBe(2);
    const rows = await sql<{ id: string; status: string }[]>`select id, status from settlements order by day`;
    expect(Object.fromEntries(rows.map((r) => [r.id, r.status]))).toEqual({
      stl_old: "closed",
      stl_two_days: "closed",
      stl_yesterday: "open",
      stl_today: "open",
    });
    expect(await closeSettledDays(sql)).toBe(0);
  });
});
