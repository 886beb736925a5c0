import { describe, expect, it } from "vitest";
import type { AuthorizeRequest } from "./connector.ts";
import { createSimulatorAcquirer, simulatorTestCards } from "./simulator.ts";

let seq = 0;
function request(pan: string, amount = 1000): AuthorizeRequest {
  seq++;
  return {
    paymentId: `pay_test${seq}`,
    partnerId: "ptr_test",
    amount,
    currency: "EUR",
    card: { pan, brand: "visa", expMonth: 12, expYear: 2030, cvc: "123" },
  };
}

const fast = { timeoutMs: 1000 };

describe("simulator test cards", () => {
  it.each(["4242424242424242", "5555555555554444", "378282246310005", "4111111111111111"])(
    "%s is approved",
    async (pan) => {
      const sim = createSimulatorAcquirer();
      const result = await sim.authorize(request(pan), fast);
      expect(result).toMatchObject({ outcome: "approved" });
      if (result.outcome === "approved") {
        expect(result.authorization_code).toMatch(/^[0-9A-F]{6}$/);
        expect(result.network_reference).toMatch(/^sim_/);
      }
      expect(sim.totalCharges()).toBe(1);
    },
  );

  it.each([
    ["4000000000000002", "card_declined"],
    ["4000000000009995", "insufficient_funds"],
    ["4000000000000069", "expired_card"],
    ["4100000000000019", "fraudulent"],
  ])("%s is declined with %s and charges nothing", async (pan, code) => {
    const sim = createSimulatorAcquirer();
    const result = await sim.authorize(request(pan), fast);
    expect(result).toMatchObject({ outcome: "declined", failure_code: code });
    if (result.outcome === "declined") expect(result.failure_message.length).toBeGreaterThan(0);
    expect(sim.totalCharges()).toBe(0);
  });

  it("the slow card approves after slowApprovalMs", async () => {
    const sim = createSimulatorAcquirer({ slowApprovalMs: 30 });
    const result = await sim.authorize(request("4000000000000259"), { timeoutMs: 1000 });
    expect(result.outcome).toBe("approved");
  });

  it("the slow card is pending when the caller's timeout is shorter", async () => {
    const sim = createSimulatorAcquirer({ slowApprovalMs: 200 });
    const req = request("4000000000000259");
    expect(await sim.authorize(req, { timeoutMs: 20 })).toEqual({ outcome: "pending" });
    expect((await sim.lookup(req.paymentId))?.outcome).toBe("approved");
  });

  it("every listed test card is Luhn-valid and has a unique number", () => {
    const numbers = simulatorTestCards.map((c) => c.number);
    expect(new Set(numbers).size).toBe(numbers.length);
    for (const n of numbers) {
      const sum = [...n]
        .reverse()
        .map(Number)
        .reduce((acc, d, i) => acc + (i % 2 === 1 ? (d * 2 > 9 ? d * 2 - 9 : d * 2) : d), 0);
      expect(sum % 10, n).toBe(0);
    }
  });
});

describe("timeout card", () => {
  it("resolves pending (never throws), and lookup later finds the approval that happened", async () => {
    const sim = createSimulatorAcquirer({ timeoutCardHangMs: 200 });
    const req = request("4000000000000119");
    expect(await sim.authorize(req, { timeoutMs: 50 })).toEqual({ outcome: "pending" });
    expect(await sim.lookup(req.paymentId)).toMatchObject({ outcome: "approved" });
    expect(sim.totalCharges()).toBe(1);
  });

  it("a retry after the timeout does not charge again", async () => {
    const sim = createSimulatorAcquirer({ timeoutCardHangMs: 200 });
    const req = request("4000000000000119");
    await sim.authorize(req, { timeoutMs: 50 });
    const retry = await sim.authorize(req, { timeoutMs: 500 });
    expect(retry.outcome).toBe("approved");
    expect(sim.authorizationCount(req.paymentId)).toBe(1);
    expect(sim.totalCharges()).toBe(1);
  });
});

describe("idempotency by paymentId", () => {
  it("a second authorize returns the first result and charges once", async () => {
    const sim = createSimulatorAcquirer();
    const req = request("4242424242424242");
    const first = await sim.authorize(req, fast);
    const second = await sim.authorize({ ...req, amount: 5 }, fast);
    expect(second).toEqual(first);
    expect(sim.authorizationCount(req.paymentId)).toBe(1);
    expect(sim.totalCharges()).toBe(1);
  });

  it("concurrent authorizes for one payment charge once", async () => {
    const sim = createSimulatorAcquirer({ slowApprovalMs: 30 });
    const req = request("4000000000000259");
    const results = await Promise.all([1, 2, 3].map(() => sim.authorize(req, fast)));
    expect(new Set(results.map((r) => JSON.stringify(r))).size).toBe(1);
    expect(sim.authorizationCount(req.paymentId)).toBe(1);
  });

  it("different payments are charged separately", async () => {
    const sim = createSimulatorAcquirer();
    await sim.authorize(request("4242424242424242"), fast);
    await sim.authorize(request("4242424242424242"), fast);
    expect(sim.totalCharges()).toBe(2);
  });

  it("a payment never seen has no record", async () => {
    const sim = createSimulatorAcquirer();
    expect(await sim.lookup("pay_unknown")).toBeUndefined();
    expect(sim.authorizationCount("pay_unknown")).toBe(0);
  });
});

describe("capture, void, refund", () => {
  async function approved(amount = 1000) {
    const sim = createSimulatorAcquirer();
    const req = request("4242424242424242", amount);
    await sim.authorize(req, fast);
    return { sim, id: req.paymentId };
  }

  it("captures up to the authorized amount; a retried capture is a no-op", async () => {
    const { sim, id } = await approved();
    await expect(sim.capture(id, 1001)).rejects.toThrow(/outside/);
    await sim.capture(id, 600);
    await sim.capture(id, 600);
    await expect(sim.capture(id, 700)).rejects.toThrow(/already captured/);
    await expect(sim.void(id)).rejects.toThrow(/captured/);
  });

  it("voids an uncaptured authorization, after which it cannot be captured", async () => {
    const { sim, id } = await approved();
    await sim.void(id);
    await sim.void(id);
    await expect(sim.capture(id, 10)).rejects.toThrow(/voided/);
  });

  it("accepts a refund of a payment captured through another instance (no shared state)", async () => {
    const { sim, id } = await approved();
    await expect(sim.refund(id, "re_elsewhere", 100)).resolves.toBeUndefined();
  });

  it("refunds captured money, idempotent by refund id, never more than captured", async () => {
    const { sim, id } = await approved();
    await sim.capture(id, 1000);
    await sim.refund(id, "re_1", 600);
    await sim.refund(id, "re_1", 600);
    await expect(sim.refund(id, "re_1", 500)).rejects.toThrow(/another amount/);
    await expect(sim.refund(id, "re_2", 401)).rejects.toThrow(/exceeds/);
    await sim.refund(id, "re_2", 400);
  });

  it("captures at once when authorize asks for a sale (capture: true)", async () => {
    const sim = createSimulatorAcquirer();
    const sale = { ...request("4242424242424242"), capture: true };
    await sim.authorize(sale, fast);
    await expect(sim.capture(sale.paymentId, 1)).rejects.toThrow(/already captured/);
    await sim.refund(sale.paymentId, "re_sale", 1);
  });

  it("refuses operations on declined payments, accepts those another instance authorized", async () => {
    const sim = createSimulatorAcquirer();
    const declined = request("4000000000000002");
    await sim.authorize(declined, fast);
    await expect(sim.capture("pay_other_instance", 10)).resolves.toBeUndefined();
    await expect(sim.capture(declined.paymentId, 10)).rejects.toThrow(/not approved/);
    await expect(sim.void(declined.paymentId)).rejects.toThrow(/not approved/);
    await expect(sim.refund(declined.paymentId, "re_x", 10)).rejects.toThrow(/not approved/);
  });
});
