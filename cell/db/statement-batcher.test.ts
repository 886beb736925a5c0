// The group-commit batcher's own rules (its SQL is tested against Postgres in
// test/e2e/group-commit.test.ts): lone items go at once, concurrent ones share statements,
// conflicting items never share one, and a failed statement fails only its bad item.
import { describe, expect, it } from "vitest";
import { StatementBatcher } from "./statement-batcher.ts";

const tick = () => new Promise((r) => setTimeout(r, 5));

describe("StatementBatcher", () => {
  it("runs a lone item in a statement of its own", async () => {
    const seen: number[][] = [];
    const b = new StatementBatcher(async (items: number[]) => {
      seen.push(items);
      return items.map((i) => i * 2);
    });
    expect(await b.submit(21)).toBe(42);
    expect(seen).toEqual([[21]]);
  });

  it("items arriving together share a statement, and each gets its own result", async () => {
    const seen: number[][] = [];
    const b = new StatementBatcher(
      async (items: number[]) => {
        seen.push(items);
        await tick();
        return items.map((i) => i + 1);
      },
      { maxConcurrent: 1, maxBatch: 50 },
    );
    const results = await Promise.all(Array.from({ length: 120 }, (_, i) => b.submit(i)));
    expect(results).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    expect(seen.map((s) => s.length)).toEqual([50, 50, 20]);
    expect(b.stats).toEqual({ statements: 3, items: 120 });
  });

  it("never puts two items with the same conflict key in one statement", async () => {
    const seen: string[][] = [];
    const b = new StatementBatcher(
      async (items: string[]) => {
        seen.push(items);
        await tick();
        return items;
      },
      { conflictKey: (s) => s.split(":")[0]! },
    );
    await Promise.all(["a:1", "b:1", "a:2", "a:3", "c:1"].map((s) => b.submit(s)));
    for (const batch of seen) {
      const keys = batch.map((s) => s.split(":")[0]);
      expect(new Set(keys).size).toBe(keys.length);
    }
    expect(seen.flat().sort()).toEqual(["a:1", "a:2", "a:3", "b:1", "c:1"]);
    // Arrival order is kept per key.
    expect(seen.flat().filter((s) => s.startsWith("a:"))).toEqual(["a:1", "a:2", "a:3"]);
  });

  it("a failed statement is retried item by item, so only the bad item fails", async () => {
    const b = new StatementBatcher(async (items: number[]) => {
      if (items.includes(13)) throw new Error("bad item 13");
      return items;
    });
    const settled = await Promise.allSettled([1, 2, 13, 4].map((i) => b.submit(i)));
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
    expect((settled[2] as PromiseRejectedResult).reason.message).toBe("bad item 13");
  });

  it("a statement returning the wrong number of results fails its items rather than misassigning", async () => {
    const b = new StatementBatcher(async (items: number[]) => items.slice(1));
    await expect(b.submit(1)).rejects.toThrow(/0 results for 1 items/);
  });
});
