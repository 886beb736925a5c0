// Golden fixtures per version (test/fixtures/api-versions/<version>/): the newest shape, which is
// all business code produces, renders to each version's fixture; a body stored in an older shape
// (an event or idempotent answer written before a change) renders the same; a request written for
// a version lifts to the newest shape. A change to a module that alters any shape fails here.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { apiVersions, LATEST_API_VERSION, ORIGINAL_API_VERSION } from "../../shared/api-versions.ts";
import { versionChanges } from "./changes/index.ts";
import { createVersionChain } from "./version-chain.ts";

const fixture = (version: string, name: string): unknown =>
  JSON.parse(
    readFileSync(
      new URL(`../../test/fixtures/api-versions/${version}/${name}.json`, import.meta.url),
      "utf8",
    ),
  );
const chain = createVersionChain();
const bodies = ["payment.failed.response", "payment-list.response", "payment.failed.event"];

describe("version catalogue", () => {
  it("every change belongs to a known version after the original, and every later version has a change", () => {
    for (const change of versionChanges) {
      expect(apiVersions).toContain(change.version);
      expect(change.version).not.toBe(ORIGINAL_API_VERSION);
      expect(change.description.length).toBeGreaterThan(20);
    }
    for (const version of apiVersions.slice(1)) expect(chain.changesIn(version).length).toBeGreaterThan(0);
  });
});

describe.each(apiVersions)("API version %s", (version) => {
  it.each(bodies)("renders the newest %s to this version's golden fixture", (name) => {
    expect(chain.render(fixture(LATEST_API_VERSION, name), version)).toEqual(fixture(version, name));
  });

  it.each(bodies)("renders a %s stored in the original shape the same way", (name) => {
    expect(chain.render(fixture(ORIGINAL_API_VERSION, name), version)).toEqual(fixture(version, name));
  });

  it("lifts this version's capture request to the newest shape", () => {
    const lifted = chain.upgradeRequest(
      "POST",
      "/v1/payments/pay_x/capture",
      fixture(version, "capture.request"),
      version,
    );
    expect(lifted).toEqual(fixture(LATEST_API_VERSION, "capture.request"));
  });
});

describe("what the chain leaves alone", () => {
  it("an error body, an object type no change knows and another route's request pass unchanged", () => {
    const error = { error: { type: "card_error", code: "invalid_cvc", message: "x", request_id: "req_1" } };
    expect(chain.render(error, ORIGINAL_API_VERSION)).toEqual(error);
    const refund = { object: "refund", id: "re_1", amount: 5, currency: "EUR" };
    expect(chain.render(refund, ORIGINAL_API_VERSION)).toEqual(refund);
    expect(chain.upgradeRequest("POST", "/v1/refunds", { amount: 5 }, ORIGINAL_API_VERSION)).toEqual({
      amount: 5,
    });
    expect(chain.hasRequestChanges("POST", "/v1/payments/pay_x/capture", LATEST_API_VERSION)).toBe(false);
  });
});
