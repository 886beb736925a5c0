// Listing 1,000+ partners: cursor pagination visits every partner once, newest first, and the
// cell and status filters hold across pages. The registry is seeded straight into the control
// plane's database (onboarding 1,200 partners through cells is the onboarding suite's job).
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../shared/ids.ts";
import { startTestControlPlane, type TestControlPlane } from "./control-plane-harness.ts";

let cp: TestControlPlane;
const TOTAL = 1200;

beforeAll(async () => {
  cp = await startTestControlPlane();
  const sql = postgres(cp.postgresUrl, { max: 1, onnotice: () => {} });
  try {
    await sql`insert into cells (id, state, weight, gateways) values
      ('cell-a', 'closed', 1, '["http://127.0.0.1:1"]'), ('cell-b', 'closed', 1, '["http://127.0.0.1:2"]')`;
    const start = Date.now() - TOTAL;
    const rows = Array.from({ length: TOTAL }, (_, i) => ({
      id: newId("ptr", start + i),
      name: `Partner ${i}`,
      status: i % 10 === 0 ? "suspended" : "active",
      cell_id: i % 3 === 0 ? "cell-a" : "cell-b",
    }));
    await sql`insert into partners ${sql(rows)}`;
  } finally {
    await sql.end();
  }
});
afterAll(async () => {
  await cp?.stop();
});

async function pageThrough(query: string, limit: number) {
  const ids: string[] = [];
  let after: string | undefined;
  for (;;) {
    const res = await cp.admin(
      "GET",
      `/admin/v1/partners?limit=${limit}${query}${after ? `&starting_after=${after}` : ""}`,
    );
    expect(res.status).toBe(200);
    ids.push(...res.body.data.map((p: { id: string }) => p.id));
    if (!res.body.has_more) return { ids, rows: res.body.data };
    after = ids.at(-1);
  }
}

describe("listing partners", () => {
  it("pages through 1,200 partners newest first, each exactly once", async () => {
    const { ids } = await pageThrough("", 100);
    expect(ids).toHaveLength(TOTAL);
    expect(new Set(ids).size).toBe(TOTAL);
    expect([...ids].sort().reverse()).toEqual(ids);
  });

  it("filters by cell and by status across pages", async () => {
    const inA = await pageThrough("&cell_id=cell-a", 37);
    expect(inA.ids).toHaveLength(TOTAL / 3);
    const suspended = await pageThrough("&status=suspended", 50);
    expect(suspended.ids).toHaveLength(TOTAL / 10);
    const both = await pageThrough("&status=suspended&cell_id=cell-b", 100);
    expect(both.ids).toHaveLength(80); // i % 10 == 0 and i % 3 != 0
    expect(both.rows.every((p: { status: string; cell_id: string }) => p.status === "suspended")).toBe(true);
  });

  it("rejects a bad filter or limit with a 400 naming it", async () => {
    const badStatus = await cp.admin("GET", "/admin/v1/partners?status=deleted");
    expect(badStatus.body.error).toMatchObject({ code: "invalid_request", param: "status" });
    const badLimit = await cp.admin("GET", "/admin/v1/partners?limit=1000");
    expect(badLimit.body.error).toMatchObject({ code: "invalid_request", param: "limit" });
  });
});
