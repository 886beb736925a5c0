import { describe, expect, it } from "vitest";
import { parseSignatureHeader, signPayload, verifySignature } from "./signature.ts";

const body = JSON.stringify({ id: "evt_1", type: "payment.captured", data: { amount: 1999 } });
const secret = "whsec_current";
const old = "whsec_previous";
const at = new Date("2030-01-01T00:00:00Z");

describe("webhook signatures", () => {
  it("a signed body verifies with its secret at the signing time", () => {
    const header = signPayload(body, [secret], at);
    expect(header).toMatch(/^t=1893456000,v1=[0-9a-f]{64}$/);
    expect(verifySignature(body, header, secret, 300, at)).toBe(true);
    expect(verifySignature(Buffer.from(body), header, secret, 300, at)).toBe(true);
  });

  it("a tampered body, another secret or a malformed header does not verify", () => {
    const header = signPayload(body, [secret], at);
    expect(verifySignature(body.replace("1999", "9999"), header, secret, 300, at)).toBe(false);
    expect(verifySignature(body, header, "whsec_other", 300, at)).toBe(false);
    expect(verifySignature(body, "v1=abc", secret, 300, at)).toBe(false);
    expect(verifySignature(body, header.replace(/t=\d+/, "t=1893456001"), secret, 300, at)).toBe(false);
  });

  it("rejects timestamps outside the tolerance (a replayed delivery), in both directions", () => {
    const header = signPayload(body, [secret], at);
    const later = (s: number) => new Date(at.getTime() + s * 1000);
    expect(verifySignature(body, header, secret, 300, later(300))).toBe(true);
    expect(verifySignature(body, header, secret, 300, later(301))).toBe(false);
    expect(verifySignature(body, header, secret, 300, later(-301))).toBe(false);
    expect(verifySignature(body, header, secret, 3600, later(301))).toBe(true);
  });

  it("during a secret roll both v1 signatures are sent, and each secret verifies on its own", () => {
    const header = signPayload(body, [secret, old], at);
    expect(parseSignatureHeader(header)?.v1).toHaveLength(2);
    expect(verifySignature(body, header, secret, 300, at)).toBe(true);
    expect(verifySignature(body, header, old, 300, at)).toBe(true);
    expect(verifySignature(body, header, "whsec_neither", 300, at)).toBe(false);
  });
});
