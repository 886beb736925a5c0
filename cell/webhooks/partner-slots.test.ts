import { describe, expect, it } from "vitest";
import type { ClaimedDelivery } from "../db/queries/webhooks.ts";
import { PartnerSlots } from "./partner-slots.ts";

let n = 0;
const delivery = (partner: string) => ({ id: `wd_${n++}`, partner_id: partner }) as ClaimedDelivery;

describe("per-partner slots", () => {
  it("a partner never runs more than K at once; others take the remaining global slots", () => {
    const slots = new PartnerSlots(2, 3);
    for (let i = 0; i < 4; i++) slots.add(delivery("A"), 0);
    slots.add(delivery("B"), 0);
    const { start } = slots.startable(0);
    expect(start.map((d) => d.partner_id).sort()).toEqual(["A", "A", "B"]);
    expect(slots.held()).toEqual(
      new Map([
        ["A", 4],
        ["B", 1],
      ]),
    );
    expect(slots.startable(0).start).toEqual([]);
    slots.done("B");
    expect(slots.startable(0).start, "A is still at K").toEqual([]);
    slots.done("A");
    expect(slots.startable(0).start.map((d) => d.partner_id)).toEqual(["A"]);
  });

  it("free global slots go round robin, so a partner with a backlog cannot starve another", () => {
    const slots = new PartnerSlots(4, 2);
    for (let i = 0; i < 4; i++) slots.add(delivery("A"), 0);
    for (let i = 0; i < 4; i++) slots.add(delivery("B"), 0);
    expect(slots.startable(0).start.map((d) => d.partner_id)).toEqual(["A", "B"]);
    slots.done("A");
    slots.done("B");
    expect(slots.startable(0).start.map((d) => d.partner_id)).toEqual(["A", "B"]);
  });

  it("a delivery that waited past its lease budget is handed back instead of started", () => {
    const slots = new PartnerSlots(1, 10);
    slots.add(delivery("A"), 0);
    slots.add(delivery("A"), 0);
    slots.add(delivery("A"), 500);
    expect(slots.startable(0).start).toHaveLength(1);
    slots.done("A");
    const { start, stale } = slots.startable(100);
    expect(stale).toHaveLength(1);
    expect(start).toHaveLength(1);
    expect(slots.freeToClaim()).toBe(19);
    expect(slots.drainQueued()).toEqual([]);
  });
});
