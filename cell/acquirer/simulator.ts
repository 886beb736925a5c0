// The built-in acquirer: deterministic answers by card number, so partners and our own tests can
// script approvals, declines, slow answers and lost answers without a bank. State is in memory.
import { randomBytes } from "node:crypto";
import {
  type AcquirerConnector,
  type AuthorizationResult,
  type AuthorizeRequest,
  pendingAfter,
} from "./connector.ts";

export type SimulatedOutcome = "approved" | "declined" | "timeout" | "slow_approval";

export interface SimulatorTestCard {
  number: string;
  brand: string;
  outcome: SimulatedOutcome;
  failure_code?: string;
  description: string;
}

/** Listed in the README and the OpenAPI description; any other Luhn-valid card is approved. */
export const simulatorTestCards = [
  { number: "4242424242424242", brand: "visa", outcome: "approved", description: "Approved (Visa)." },
  {
    number: "5555555555554444",
    brand: "mastercard",
    outcome: "approved",
    description: "Approved (Mastercard).",
  },
  {
    number: "378282246310005",
    brand: "amex",
    outcome: "approved",
    description: "Approved (American Express).",
  },
  {
    number: "4000000000000002",
    brand: "visa",
    outcome: "declined",
    failure_code: "card_declined",
    description: "Declined: generic decline.",
  },
  {
    number: "4000000000009995",
    brand: "visa",
    outcome: "declined",
    failure_code: "insufficient_funds",
    description: "Declined: insufficient funds.",
  },
  {
    number: "4000000000000069",
    brand: "visa",
    outcome: "declined",
    failure_code: "expired_card",
    description: "Declined by the issuer as expired (whatever expiry date is sent).",
  },
  {
    number: "4100000000000019",
    brand: "visa",
    outcome: "declined",
    failure_code: "fraudulent",
    description: "Declined: suspected fraud.",
  },
  {
    number: "4000000000000119",
    brand: "visa",
    outcome: "timeout",
    description:
      "The acquirer approves but its answer never arrives in time: the payment is 'processing' until a lookup finds the approval.",
  },
  {
    number: "4000000000000259",
    brand: "visa",
    outcome: "slow_approval",
    description: "Approved after a delay (1.5 s by default), to exercise client and gateway timeouts.",
  },
] as const satisfies readonly SimulatorTestCard[];

const declineMessages: Record<string, string> = {
  card_declined: "The card was declined.",
  insufficient_funds: "The card has insufficient funds.",
  expired_card: "The card has expired.",
  fraudulent: "The payment was declined as suspected fraud.",
};

export interface SimulatorOptions {
  /** How long the slow-approval card takes to answer. */
  slowApprovalMs?: number;
  /** How long the timeout card hangs before its (lost) answer; should exceed any timeoutMs. */
  timeoutCardHangMs?: number;
}

export interface SimulatorAcquirer extends AcquirerConnector {
  /** How many authorizations the acquirer processed for a payment: 1 at most, whatever the retries. */
  authorizationCount(paymentId: string): number;
  /** Approved authorizations across all payments. */
  totalCharges(): number;
}

// What the acquirer knows of one payment. No card data: the simulator never keeps the PAN or CVC.
interface SimPayment {
  result: Exclude<AuthorizationResult, { outcome: "pending" }>;
  amount: number;
  /** The answer as the caller sees it, delay included; shared by concurrent retries. */
  answer: Promise<AuthorizationResult>;
  captured: number | undefined;
  voided: boolean;
  refunds: Map<string, number>;
}

export function createSimulatorAcquirer(opts: SimulatorOptions = {}): SimulatorAcquirer {
  const slowApprovalMs = opts.slowApprovalMs ?? 1500;
  const timeoutCardHangMs = opts.timeoutCardHangMs ?? 30_000;
  const payments = new Map<string, SimPayment>();
  // Counted where a decision is made, not derived from `payments`, so a broken idempotency
  // check shows up as a count of 2 instead of being hidden by the map.
  const authorizations = new Map<string, number>();
  let charges = 0;

  // A payment this instance never saw was authorized by another gateway instance of the cell (or
  // before a restart): the simulator keeps no shared state, so it accepts the follow-up call.
  function approvedPayment(paymentId: string): SimPayment | undefined {
    const payment = payments.get(paymentId);
    if (!payment) return undefined;
    if (payment.result.outcome !== "approved")
      throw new Error(`simulator: payment ${paymentId} was not approved`);
    return payment;
  }

  return {
    name: "simulator",

    authorize(req: AuthorizeRequest, { timeoutMs }): Promise<AuthorizationResult> {
      const seen = payments.get(req.paymentId);
      if (seen) return pendingAfter(seen.answer, timeoutMs);

      // The decision is recorded before the answer is sent, as at a real acquirer: a lost or
      // late answer does not undo the authorization, and lookup() reports it.
      const card = simulatorTestCards.find((c) => c.number === req.card.pan);
      const result = decide(card);
      authorizations.set(req.paymentId, (authorizations.get(req.paymentId) ?? 0) + 1);
      if (result.outcome === "approved") charges++;
      const delayMs =
        card?.outcome === "timeout"
          ? timeoutCardHangMs
          : card?.outcome === "slow_approval"
            ? slowApprovalMs
            : 0;
      const answer = delayMs === 0 ? Promise.resolve(result) : delayed(result, delayMs);
      payments.set(req.paymentId, {
        result,
        amount: req.amount,
        answer,
        captured: req.capture && result.outcome === "approved" ? req.amount : undefined,
        voided: false,
        refunds: new Map(),
      });
      return pendingAfter(answer, timeoutMs);
    },

    async capture(paymentId, amount) {
      const payment = approvedPayment(paymentId);
      if (!payment) return;
      if (payment.voided) throw new Error(`simulator: payment ${paymentId} was voided`);
      if (payment.captured !== undefined) {
        if (payment.captured === amount) return; // a retried capture
        throw new Error(`simulator: payment ${paymentId} was already captured`);
      }
      if (!Number.isSafeInteger(amount) || amount < 1 || amount > payment.amount) {
        throw new Error(`simulator: capture amount ${amount} is outside 1..${payment.amount}`);
      }
      payment.captured = amount;
    },

    async void(paymentId) {
      const payment = approvedPayment(paymentId);
      if (!payment) return;
      if (payment.captured !== undefined) throw new Error(`simulator: payment ${paymentId} was captured`);
      payment.voided = true;
    },

    async refund(paymentId, refundId, amount) {
      const payment = approvedPayment(paymentId);
      if (!payment) return;
      const previous = payment.refunds.get(refundId);
      if (previous !== undefined) {
        if (previous === amount) return; // a retried refund
        throw new Error(`simulator: refund ${refundId} was already made with another amount`);
      }
      // Captured through another gateway instance (the simulator keeps no shared state): accept.
      if (payment.captured === undefined) {
        payment.refunds.set(refundId, amount);
        return;
      }
      let refunded = 0;
      for (const r of payment.refunds.values()) refunded += r;
      if (!Number.isSafeInteger(amount) || amount < 1 || refunded + amount > payment.captured) {
        throw new Error(
          `simulator: refund amount ${amount} exceeds what is left (${payment.captured - refunded})`,
        );
      }
      payment.refunds.set(refundId, amount);
    },

    async lookup(paymentId) {
      return payments.get(paymentId)?.result;
    },

    authorizationCount(paymentId) {
      return authorizations.get(paymentId) ?? 0;
    },

    totalCharges() {
      return charges;
    },
  };
}

function decide(card: SimulatorTestCard | undefined): SimPayment["result"] {
  if (card?.outcome === "declined" && card.failure_code) {
    return {
      outcome: "declined",
      failure_code: card.failure_code,
      failure_message: declineMessages[card.failure_code] ?? "The card was declined.",
    };
  }
  return {
    outcome: "approved",
    authorization_code: randomBytes(3).toString("hex").toUpperCase(),
    network_reference: `sim_${randomBytes(8).toString("hex")}`,
  };
}

// unref: a hanging test card must not keep the process (or a test run) alive.
function delayed<T>(value: T, ms: number): Promise<T> {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms).unref());
}
