import { describe, expect, it } from "vitest";
import { MAX_PATH_LENGTH, originForm, pathOfRequestTarget, unsafePathReason } from "./unsafe-path.ts";

describe("unsafe paths", () => {
  it("passes plain paths, a trailing slash and dotted names that are not dot segments", () => {
    for (const path of [
      "/",
      "/v1/payments",
      "/v1/payments/pay_0mh1x2y3z4/capture",
      "/v1/openapi.json",
      "/v1/payments/",
      "/a/.../b",
      "/a/.b/c.",
    ]) {
      expect(unsafePathReason(path), path).toBeUndefined();
    }
  });

  it.each([
    ["/docs/../internal", "'.' or '..' segment"],
    ["/v1/./payments", "'.' or '..' segment"],
    ["/v1/..", "'.' or '..' segment"],
    ["/v1/%2e%2e/metrics", "percent-encoded"],
    ["/v1/%252e%252e/metrics", "percent-encoded"],
    ["/v1/..%2fmetrics", "percent-encoded"],
    ["/v1/..%5cmetrics", "percent-encoded"],
    ["/v1/..\\metrics", "backslash"],
    ["//internal/v1", "empty segment"],
    ["/v1//payments", "empty segment"],
    ["/v1/pay\u0000ments", "control character"],
    ["/v1/\uff0e\uff0e/metrics", "outside ASCII"],
    ["/docs/..;/internal", "no route uses"],
    ["/v1/payments@x", "no route uses"],
    ["v1/payments", "start with '/'"],
    ["", "start with '/'"],
    [`/v1/${"a".repeat(MAX_PATH_LENGTH)}`, "longer than"],
  ])("refuses %j (%s)", (path, reason) => {
    expect(unsafePathReason(path)).toContain(reason);
  });

  it("judges an absolute-form target by the path after its authority", () => {
    expect(originForm("http://cell:1/docs/../x?y=1")).toBe("/docs/../x?y=1");
    expect(pathOfRequestTarget("http://cell:1/docs/../x?y=1")).toBe("/docs/../x");
    expect(pathOfRequestTarget("http://cell:1")).toBe("");
    expect(pathOfRequestTarget("/v1/payments?x=/../")).toBe("/v1/payments");
    expect(pathOfRequestTarget("*")).toBe("*");
  });
});
