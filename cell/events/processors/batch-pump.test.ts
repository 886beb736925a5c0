// The batching of the consumer runner, on plain async iterables: what waits together is applied
// together, a lone item is applied alone, and reading pauses while a full batch waits.
import { describe, expect, it } from "vitest";
import { pumpInBatches } from "./batch-pump.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A gate the test opens: apply() waits on it, so the test decides when a batch "commits". */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => {
    open = r;
  });
  return { open, opened };
}

describe("batch pump", () => {
  it("applies items that arrive apart one at a time, with no wait for company", async () => {
    const batches: number[][] = [];
    async function* trickle() {
      for (let i = 0; i < 4; i++) {
        await sleep(15);
        yield i;
      }
    }
    await pumpInBatches(trickle(), {
      maxBatch: 256,
      apply: async (b) => {
        batches.push(b);
      },
      onError: () => {},
    });
    expect(batches).toEqual([[0], [1], [2], [3]]);
  });

  it("groups what is already there, at most maxBatch at a time, and reads no further than one batch ahead", async () => {
    let pulled = 0;
    async function* burst() {
      for (let i = 0; i < 10; i++) {
        pulled++;
        yield i;
      }
    }
    const batches: number[][] = [];
    const first = gate();
    const pulledDuringFirst: number[] = [];
    const done = pumpInBatches(burst(), {
      maxBatch: 3,
      apply: async (b) => {
        batches.push(b);
        if (batches.length === 1) {
          await sleep(30);
          pulledDuringFirst.push(pulled);
          await first.opened;
        }
      },
      onError: () => {},
    });
    while (pulledDuringFirst.length === 0) await sleep(5);
    // One batch being applied, one waiting: the source is not read past them.
    expect(pulledDuringFirst).toEqual([6]);
    first.open();
    await done;
    expect(batches).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]);
  });

  it("reports an apply that throws and goes on with the next batch", async () => {
    const errors: number[][] = [];
    const applied: number[][] = [];
    async function* two() {
      yield 1;
      await sleep(10);
      yield 2;
    }
    await pumpInBatches(two(), {
      maxBatch: 8,
      apply: async (b) => {
        if (b.includes(1)) throw new Error("boom");
        applied.push(b);
      },
      onError: (_err, b) => errors.push(b),
    });
    expect(errors).toEqual([[1]]);
    expect(applied).toEqual([[2]]);
  });
});
