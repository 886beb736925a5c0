// Metrics every cellpay process exposes: event-loop delay (from perf_hooks' sampling histogram,
// reset at each scrape so p99 is "since the last scrape"), memory and uptime.
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { MetricsRegistry } from "./registry.ts";

export function registerProcessMetrics(registry: MetricsRegistry): { stop(): void } {
  const loop = monitorEventLoopDelay({ resolution: 20 });
  loop.enable();
  const lag = registry.gauge(
    "cellpay_event_loop_lag_seconds",
    "Event-loop delay since the last scrape, by quantile.",
    ["quantile"],
  );
  const memory = registry.gauge("cellpay_process_memory_bytes", "Process memory, by kind.", ["kind"]);
  const uptime = registry.gauge("cellpay_process_uptime_seconds", "Seconds since the process started.");
  lag.collect = (g) => {
    // Nanoseconds → seconds; an empty histogram reports NaN/huge values, so report 0 then.
    const ok = loop.count > 0;
    g.set(["0.5"], ok ? loop.percentile(50) / 1e9 : 0);
    g.set(["0.99"], ok ? loop.percentile(99) / 1e9 : 0);
    g.set(["max"], ok ? loop.max / 1e9 : 0);
    loop.reset();
  };
  memory.collect = (g) => {
    const m = process.memoryUsage();
    g.set(["rss"], m.rss);
    g.set(["heap_used"], m.heapUsed);
    g.set(["heap_total"], m.heapTotal);
    g.set(["external"], m.external);
  };
  uptime.collect = (g) => g.set([], process.uptime());
  return { stop: () => loop.disable() };
}
