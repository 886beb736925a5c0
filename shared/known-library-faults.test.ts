import { describe, expect, it } from "vitest";
import { isPostgresDriverLateWrite } from "./known-library-faults.ts";

describe("isPostgresDriverLateWrite", () => {
  const fault = Object.assign(new TypeError("Cannot read properties of null (reading 'write')"), {
    stack:
      "TypeError: Cannot read properties of null (reading 'write')\n    at Immediate.nextWrite (/app/node_modules/postgres/src/connection.js:255:22)",
  });

  it("recognises the driver's late write, also as a serialised copy", () => {
    expect(isPostgresDriverLateWrite(fault)).toBe(true);
    expect(
      isPostgresDriverLateWrite(JSON.parse(JSON.stringify({ message: fault.message, stack: fault.stack }))),
    ).toBe(true);
  });

  it("lets every other error through", () => {
    expect(isPostgresDriverLateWrite(new TypeError("Cannot read properties of null (reading 'write')"))).toBe(
      false,
    );
    expect(isPostgresDriverLateWrite(new Error("boom"))).toBe(false);
    expect(isPostgresDriverLateWrite(null)).toBe(false);
    const ours = Object.assign(new TypeError("Cannot read properties of null (reading 'write')"), {
      stack: "TypeError: x\n    at nextWrite (/app/cell/gateway/app.ts:1:1)",
    });
    expect(isPostgresDriverLateWrite(ours)).toBe(false);
  });
});
