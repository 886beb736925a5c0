import { describe, expect, it } from "vitest";
import { ApiError } from "../../shared/errors.ts";
import type { AuthorizationResult } from "../acquirer/connector.ts";
import {
  afterAuthorization,
  allowedTransitions,
  applyCancel,
  applyCapture,
  applyRefund,
  initialStatuses,
  type PaymentMoney,
  type PaymentStatus,
  paymentStatuses,
  resolveProcessing,
} from "./payment-state.ts";

const approved: AuthorizationResult = {
  outcome: "approved",
  authorization_code: "A1",
  network_reference: "N1",
};
const declined: AuthorizationResult = {
  outcome: "declined",
  failure_code: "card_declined",
  failure_message: "Your card was declined.",
};

/** A consistent payment of 1000 in each status. */
function inStatus(status: PaymentStatus): PaymentMoney {
  const base: PaymentMoney = {
    status,
    amount: 1000,
    amount_capturable: 0,
    amount_captured: 0,
    amount_refunded: 0,
    capture_method: "manual",
  };
  switch (status) {
    case "requires_capture":
      return { ...base, amount_capturable: 1000 };
    case "succeeded":
      return { ...base, amount_captured: 1000 };
    case "partially_refunded":
      return { ...base, amount_captured: 1000, amount_refunded: 300 };
    case "refunded":
      return { ...base, amount_captured: 1000, amount_refunded: 1000 };
    default:
      return base;
  }
}

function apiErrorOf(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error("expected an ApiError");
}

describe("afterAuthorization", () => {
  it("approved + automatic capture is succeeded with everything captured", () => {
    const p = afterAuthorization({ amount: 500, capture_method: "automatic" }, approved);
    expect(p).toMatchObject({
      status: "succeeded",
      amount_captured: 500,
      amount_capturable: 0,
      amount_refunded: 0,
    });
  });
  it("approved + manual capture is requires_capture with everything capturable", () => {
    const p = afterAuthorization({ amount: 500, capture_method: "manual" }, approved);
    expect(p).toMatchObject({ status: "requires_capture", amount_capturable: 500, amount_captured: 0 });
  });
  it("declined is failed and keeps the failure code and message", () => {
    const p = afterAuthorization({ amount: 500, capture_method: "automatic" }, declined);
    expect(p).toMatchObject({ status: "failed", failure_code: "card_declined", amount_captured: 0 });
    expect(p.failure_message).toBe("Your card was declined.");
  });
  it("pending (acquirer timeout) is processing with no money moved", () => {
    const p = afterAuthorization({ amount: 500, capture_method: "manual" }, { outcome: "pending" });
    expect(p).toMatchObject({ status: "processing", amount_capturable: 0, amount_captured: 0 });
  });
});

describe("resolveProcessing", () => {
  const processing = inStatus("processing");
  it("an approval found by lookup settles to requires_capture for manual capture", () => {
    expect(resolveProcessing(processing, approved).status).toBe("requires_capture");
  });
  it("an approval found by lookup settles to succeeded for automatic capture", () => {
    const p = resolveProcessing({ ...processing, capture_method: "automatic" }, approved);
    expect(p).toMatchObject({ status: "succeeded", amount_captured: 1000 });
  });
  it("a decline found by lookup settles to failed", () => {
    expect(resolveProcessing(processing, declined).status).toBe("failed");
  });
  it("no record at the acquirer means no money moved: failed with processing_error", () => {
    expect(resolveProcessing(processing, undefined)).toMatchObject({
      status: "failed",
      failure_code: "processing_error",
    });
  });
  it("a still-pending lookup leaves the payment processing", () => {
    expect(resolveProcessing(processing, { outcome: "pending" }).status).toBe("processing");
  });
  it.each(paymentStatuses.filter((s) => s !== "processing"))("refuses a payment in %s", (status) => {
    expect(() => resolveProcessing(inStatus(status), approved)).toThrow(/status is/);
  });
});

describe("applyCapture", () => {
  it("captures the full capturable amount by default", () => {
    expect(applyCapture(inStatus("requires_capture"))).toMatchObject({
      status: "succeeded",
      amount_captured: 1000,
      amount_capturable: 0,
    });
  });
  it("a partial capture releases the rest", () => {
    expect(applyCapture(inStatus("requires_capture"), 400)).toMatchObject({
      status: "succeeded",
      amount_captured: 400,
      amount_capturable: 0,
    });
  });
  it("refuses more than the capturable amount, naming the amount_to_capture param (newest shape)", () => {
    const err = apiErrorOf(() => applyCapture(inStatus("requires_capture"), 1001));
    expect(err).toMatchObject({ code: "amount_exceeds_capturable", param: "amount_to_capture", status: 422 });
  });
  it.each([0, -5, 1.5])("refuses a capture amount of %s", (amount) => {
    expect(apiErrorOf(() => applyCapture(inStatus("requires_capture"), amount)).code).toBe("invalid_request");
  });
  it.each(paymentStatuses.filter((s) => s !== "requires_capture"))(
    "refuses a payment in %s, naming it",
    (s) => {
      const err = apiErrorOf(() => applyCapture(inStatus(s)));
      expect(err).toMatchObject({ code: "payment_not_capturable", status: 409 });
      expect(err.message).toContain(`'${s}'`);
    },
  );
});

describe("applyCancel", () => {
  it("cancels an uncaptured authorization and releases it", () => {
    expect(applyCancel(inStatus("requires_capture"))).toMatchObject({
      status: "canceled",
      amount_capturable: 0,
    });
  });
  it.each(paymentStatuses.filter((s) => s !== "requires_capture"))(
    "refuses a payment in %s, naming it",
    (s) => {
      const err = apiErrorOf(() => applyCancel(inStatus(s)));
      expect(err).toMatchObject({ code: "payment_not_cancelable", status: 409 });
      expect(err.message).toContain(`'${s}'`);
    },
  );
});

describe("applyRefund", () => {
  it("refunds everything by default from succeeded", () => {
    expect(applyRefund(inStatus("succeeded"))).toMatchObject({ status: "refunded", amount_refunded: 1000 });
  });
  it("a partial refund from succeeded is partially_refunded", () => {
    expect(applyRefund(inStatus("succeeded"), 300)).toMatchObject({
      status: "partially_refunded",
      amount_refunded: 300,
    });
  });
  it("a second partial refund stays partially_refunded", () => {
    expect(applyRefund(inStatus("partially_refunded"), 100)).toMatchObject({
      status: "partially_refunded",
      amount_refunded: 400,
    });
  });
  it("refunding the rest from partially_refunded is refunded; the default is the rest", () => {
    expect(applyRefund(inStatus("partially_refunded"))).toMatchObject({
      status: "refunded",
      amount_refunded: 1000,
    });
  });
  it("refundable is what was captured, not the authorized amount", () => {
    const partlyCaptured = applyCapture(inStatus("requires_capture"), 400);
    expect(apiErrorOf(() => applyRefund(partlyCaptured, 401)).code).toBe("amount_exceeds_refundable");
    expect(applyRefund(partlyCaptured).status).toBe("refunded");
  });
  it("refuses more than is left to refund, naming the amount param", () => {
    const err = apiErrorOf(() => applyRefund(inStatus("partially_refunded"), 701));
    expect(err).toMatchObject({ code: "amount_exceeds_refundable", param: "amount", status: 422 });
  });
  it.each([0, -1, 2.5])("refuses a refund amount of %s", (amount) => {
    expect(apiErrorOf(() => applyRefund(inStatus("succeeded"), amount)).code).toBe("invalid_request");
  });
  it.each(paymentStatuses.filter((s) => s !== "succeeded" && s !== "partially_refunded"))(
    "refuses a payment in %s, naming it",
    (s) => {
      const err = apiErrorOf(() => applyRefund(inStatus(s)));
      expect(err).toMatchObject({ code: "payment_not_refundable", status: 409 });
      expect(err.message).toContain(`'${s}'`);
    },
  );
});

describe("allowedTransitions agrees with the functions", () => {
  const authorizationOutcomes: AuthorizationResult[] = [approved, declined, { outcome: "pending" }];

  // Every move any function can make from `from`, found by trying each operation.
  function reachableFrom(from: PaymentStatus): Set<PaymentStatus> {
    const p = inStatus(from);
    const attempts: Array<() => { status: PaymentStatus }> = [
      () => applyCapture(p),
      () => applyCapture(p, 1),
      () => applyCancel(p),
      () => applyRefund(p),
      () => applyRefund(p, 1),
      ...authorizationOutcomes.flatMap((o) => [
        () => resolveProcessing(p, o),
        () => resolveProcessing({ ...p, capture_method: "automatic" }, o),
      ]),
      () => resolveProcessing(p, undefined),
    ];
    const reached = new Set<PaymentStatus>();
    for (const attempt of attempts) {
      try {
        const next = attempt().status;
        // Still-pending lookups return the same processing payment: no transition.
        if (!(from === "processing" && next === "processing")) reached.add(next);
      } catch {
        // refused: not an edge
      }
    }
    return reached;
  }

  it.each(paymentStatuses)(
    "every move out of %s is in the table, and every table edge is reachable",
    (from) => {
      expect([...reachableFrom(from)].sort()).toEqual([...allowedTransitions[from]].sort());
    },
  );

  it("afterAuthorization creates payments only in the initial statuses", () => {
    const created = new Set<PaymentStatus>();
    for (const capture_method of ["automatic", "manual"] as const) {
      for (const o of authorizationOutcomes)
        created.add(afterAuthorization({ amount: 10, capture_method }, o).status);
    }
    expect([...created].sort()).toEqual([...initialStatuses].sort());
  });
});
