// Card-testing defence against a real cell: a partner whose card payments are declined too often
// in a window gets 429 card_testing_suspected (with Retry-After) for its card payments, with a
// warn log and a counted trip for the alert; other partners are untouched; with Redis down the
// gateway's local count still trips.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { card, client, startTestCell, type TestCell } from "../harness.ts";

const MAX_DECLINES = 5;
let cell: TestCell;

beforeAll(async () => {
  cell = await startTestCell({
    CARD_TESTING_MAX_DECLINES: String(MAX_DECLINES),
    CARD_TESTING_WINDOW_MS: "60000",
  });
});
afterAll(async () => {
  await cell?.stop();
});

const DECLINING = "4000000000000002"; // the simulator's generic decline
const payment = (number: string) => ({ amount: 1500, currency: "EUR", payment_method: card(number) });

async function declineUntilTripped(call: ReturnType<typeof client>): Promise<void> {
  for (let i = 0; i < MAX_DECLINES; i++) {
    const res = await call("POST", "/v1/payments", payment(DECLINING));
    expect(res.status).toBe(201);
    expect(res.body.status).toBe("failed");
  }
}

describe("decline velocity", () => {
  it(`${MAX_DECLINES - 1} declines in a window are ordinary: card payments go on`, async () => {
    const { apiKey } = await cell.partner("Few declines");
    const call = client(cell.url, apiKey);
    for (let i = 0; i < MAX_DECLINES - 1; i++) {
      expect((await call("POST", "/v1/payments", payment(DECLINING))).body.status).toBe("failed");
    }
    const ok = await call("POST", "/v1/payments", payment("4242424242424242"));
    expect(ok.status).toBe(201);
    expect(ok.body.status).toBe("succeeded");
  });

  it(`the ${MAX_DECLINES}th decline pauses the partner's card payments: 429 card_testing_suspected with Retry-After`, async () => {
    const tester = await cell.partner("Card tester");
    const bystander = await cell.partner("Bystander");
    const call = client(cell.url, tester.apiKey);
    const tripsBefore = cell.gateway.deps.declineVelocity.trips;
    await declineUntilTripped(call);

    for (const number of [DECLINING, "4242424242424242"]) {
      const refused = await call("POST", "/v1/payments", payment(number));
      expect(refused.status).toBe(429);
      expect(refused.body.error).toMatchObject({ type: "rate_limit_error", code: "card_testing_suspected" });
      const retryAfter = Number(refused.headers.get("retry-after"));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
    }
    // Nothing was charged while paused: no new payment rows for the refused requests.
    const list = await call("GET", "/v1/payments?limit=100");
    expect((list.body.data as unknown[]).length).toBe(MAX_DECLINES);
    // Reading is not affected, and neither is another partner of the cell.
    expect(list.status).toBe(200);
    const other = await client(cell.url, bystander.apiKey)(
      "POST",
      "/v1/payments",
      payment("4242424242424242"),
    );
    expect(other.status).toBe(201);

    // The alert's inputs: one counted trip and one warn line naming the partner.
    expect(cell.gateway.deps.declineVelocity.trips).toBe(tripsBefore + 1);
    const warns = cell.logLines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.alert === "card_testing" && l.partner_id === tester.partnerId);
    expect(warns).toHaveLength(1);
    expect(warns[0]!.level).toBe("warn");
  });

  it("with Redis down, the gateway's own count trips the guard", async () => {
    const { apiKey } = await cell.partner("Tester without Redis");
    const call = client(cell.url, apiKey);
    // Warm the key cache first so authentication does not depend on Redis timing.
    expect((await call("GET", "/v1/payments")).status).toBe(200);
    await cell.infra.processes[1]!.stop(); // redis
    await declineUntilTripped(call);
    const refused = await call("POST", "/v1/payments", payment("4242424242424242"));
    expect(refused.status).toBe(429);
    expect(refused.body.error?.code).toBe("card_testing_suspected");
  });
});
