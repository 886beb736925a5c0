// The database alert rules on layouts as cells report them (GET /internal/v1/database): a
// replicated cell without a streaming synchronous standby raises sync_standby_missing; a
// single-copy cell never does; a change of primary is a failover, alerted at once.
import { describe, expect, it } from "vitest";
import type { DatabaseLayout, DatabaseStandby } from "../../shared/cell-api/contract.ts";
import { detectFailover } from "../cells/database-failover.ts";
import { AlertEvaluator, type CellFacts, defaultThresholds } from "./alerts.ts";

const standby = (over: Partial<DatabaseStandby> = {}): DatabaseStandby => ({
  name: "cell-a-pg-1",
  client_addr: "127.0.0.1:50000",
  state: "streaming",
  sync_state: "sync",
  replay_lag_bytes: 0,
  replay_lag_seconds: null,
  ...over,
});
const layout = (over: Partial<DatabaseLayout> = {}, primary: Partial<DatabaseLayout["primary"]> = {}) => ({
  replicated: true,
  primary: {
    address: "127.0.0.1:5432",
    timeline: 1,
    in_recovery: false,
    synchronous_standby_names: '"cell-a-pg-1"',
    ...primary,
  },
  standbys: [standby()],
  checked_at: "2026-01-01T00:00:00.000Z",
  ...over,
});
const facts = (database: DatabaseLayout, over: Partial<CellFacts> = {}): CellFacts => ({
  id: "cell-a",
  health: "ok",
  state: "active",
  latest: undefined,
  database,
  ...over,
});
const now = new Date("2026-01-01T00:00:10.000Z");
const rounds = (evaluator: AlertEvaluator, cell: CellFacts, n: number) => {
  let open = evaluator.open();
  for (let i = 0; i < n; i++) open = evaluator.evaluate([cell], [], now);
  return open.map((a) => a.rule);
};

describe("sync_standby_missing", () => {
  it("stays quiet while a standby streams synchronously", () => {
    expect(rounds(new AlertEvaluator(), facts(layout()), 5)).toEqual([]);
  });

  it("fires for a replicated cell whose standby is gone or only asynchronous, after forRounds", () => {
    const gone = facts(layout({ standbys: [] }, { synchronous_standby_names: "" }));
    const e = new AlertEvaluator();
    expect(rounds(e, gone, defaultThresholds.forRounds - 1)).toEqual([]);
    expect(rounds(e, gone, 1)).toEqual(["sync_standby_missing"]);
    expect(e.open()[0]).toMatchObject({ severity: "critical", cell: "cell-a" });
    expect(e.open()[0]!.message).toMatch(/no standby is connected/);
    // The standby rejoins: the alert resolves.
    expect(rounds(e, facts(layout()), 1)).toEqual([]);

    const catchingUp = facts(layout({ standbys: [standby({ state: "catchup", sync_state: "async" })] }));
    expect(rounds(new AlertEvaluator(), catchingUp, defaultThresholds.forRounds)).toEqual([
      "sync_standby_missing",
    ]);
  });

  it("never fires for a single-copy cell (one primary, no standbys by design)", () => {
    const single = facts(layout({ replicated: false, standbys: [] }, { synchronous_standby_names: "" }));
    expect(rounds(new AlertEvaluator(), single, 10)).toEqual([]);
  });
});

describe("database_failover", () => {
  it("a new primary or a new timeline is a failover; the same primary is not", () => {
    const before = layout();
    expect(detectFailover(before, layout(), now)).toBeUndefined();
    expect(detectFailover(undefined, layout(), now)).toBeUndefined();
    expect(detectFailover(before, layout({}, { address: "127.0.0.1:5433", timeline: 2 }), now)).toEqual({
      at: now.toISOString(),
      from: { address: "127.0.0.1:5432", timeline: 1 },
      to: { address: "127.0.0.1:5433", timeline: 2 },
    });
    expect(detectFailover(before, layout({}, { timeline: 2 }), now)?.to).toEqual({
      address: "127.0.0.1:5432",
      timeline: 2,
    });
  });

  it("is alerted on the first round and resolves once failoverAlertMs has passed", () => {
    const failover = detectFailover(layout(), layout({}, { address: "127.0.0.1:5433", timeline: 2 }), now)!;
    const cell = facts(layout({}, { address: "127.0.0.1:5433", timeline: 2 }), { lastFailover: failover });
    const e = new AlertEvaluator();
    expect(rounds(e, cell, 1)).toEqual(["database_failover"]);
    expect(e.open()[0]!.message).toContain("127.0.0.1:5432");
    const later = new Date(now.getTime() + defaultThresholds.failoverAlertMs + 1);
    expect(e.evaluate([cell], [], later)).toEqual([]);
  });
});
