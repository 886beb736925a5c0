// The hand-rolled pieces of telemetry: Prometheus text, histogram quantiles as the control plane
// reads them, the bounded per-partner map, and W3C traceparent parsing.
import { describe, expect, it } from "vitest";
import { buckets, parsePrometheusText, quantile } from "../../control-plane/monitoring/prometheus-text.ts";
import { PartnerStats } from "./partner-stats.ts";
import { MetricsRegistry } from "./registry.ts";
import { formatTraceparent, parseTraceparent, startSpan } from "./trace-context.ts";

describe("metrics registry", () => {
  it("renders counters, gauges and histograms with constant labels that the control plane parses back", async () => {
    const r = new MetricsRegistry({ cell: "cell-a" });
    r.counter("x_total", "x", ["code"]).inc(["rate_limited"], 3);
    r.gauge("g", "g").set([], 7);
    const h = r.histogram("lat_seconds", "lat", ["route"], [0.01, 0.1, 1]);
    for (const v of [0.005, 0.05, 0.05, 0.5]) h.observe(["/v1/payments"], v);
    const text = await r.render();
    expect(text).toContain('x_total{cell="cell-a",code="rate_limited"} 3');
    expect(text).toContain('g{cell="cell-a"} 7');
    expect(text).toContain('lat_seconds_bucket{cell="cell-a",route="/v1/payments",le="+Inf"} 4');
    const samples = parsePrometheusText(text);
    const q50 = quantile(0.5, buckets(samples, "lat_seconds"));
    expect(q50).toBeGreaterThan(0.01);
    expect(q50).toBeLessThanOrEqual(0.1);
  });
});

describe("per-partner figures", () => {
  it("keep at most `capacity` partners, the heaviest ones, with an error bound on newcomers", () => {
    const stats = new PartnerStats(3);
    for (let i = 0; i < 50; i++) stats.record("ptr_heavy", 201, 20);
    for (let i = 0; i < 10; i++) stats.record("ptr_mid", 500, 20);
    stats.record("ptr_light", 429, 3);
    stats.record("ptr_new", 201, 3);
    const snap = stats.snapshot();
    expect(Object.keys(snap.partners).sort()).toEqual(["ptr_heavy", "ptr_mid", "ptr_new"]);
    expect(snap.partners.ptr_heavy!.requests).toBe(50);
    expect(snap.partners.ptr_mid!.errors).toBe(10);
    expect(snap.partners.ptr_new!.overcount).toBe(1);
    expect(snap.evictions).toBe(1);
  });
});

describe("traceparent", () => {
  it("continues a valid caller trace, starts a new one otherwise", () => {
    const given = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    expect(formatTraceparent(parseTraceparent(given)!)).toBe(given);
    expect(parseTraceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01")).toBeUndefined();
    expect(parseTraceparent("garbage")).toBeUndefined();
    const child = startSpan("t", given);
    expect(child.traceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
    expect(child.traceparent).not.toBe(given);
    expect(startSpan("t", undefined).traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });
});
