// Wires the OpenTelemetry trace SDK at process start, only when it is asked for: an OTLP/HTTP
// exporter when OTEL_EXPORTER_OTLP_ENDPOINT is set (the standard OTel variable), or whatever
// span processor a test passes (an in-memory exporter). Otherwise nothing is registered, the API
// stays a no-op and trace-context.ts makes the ids itself. Metrics are not exported over OTLP:
// every process serves Prometheus text at /metrics instead (registry.ts).
import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
} from "@opentelemetry/sdk-trace-base";
import { setTracingRecorded } from "./trace-context.ts";

export interface TracingHandle {
  shutdown(): Promise<void>;
}

/** Registers a tracer provider for this process with the given span processors. */
export function registerTracing(
  service: string,
  processors: SpanProcessor[],
  opts: { sampleRatio?: number } = {},
): TracingHandle {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": service }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(opts.sampleRatio ?? 1) }),
    spanProcessors: processors,
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(provider);
  setTracingRecorded(true);
  return {
    async shutdown() {
      setTracingRecorded(false);
      await provider.shutdown();
      trace.disable();
      context.disable();
    },
  };
}

/**
 * What each main.ts calls: OTLP export when OTEL_EXPORTER_OTLP_ENDPOINT is set (sampling from
 * OTEL_TRACES_SAMPLER_ARG, default 1), else nothing.
 */
export function startTracingFromEnv(
  service: string,
  env: Record<string, string | undefined> = process.env,
): TracingHandle | undefined {
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint) return undefined;
  const ratio = Number(env.OTEL_TRACES_SAMPLER_ARG ?? "1");
  const exporter = new OTLPTraceExporter({ url: `${endpoint.replace(/\/$/, "")}/v1/traces` });
  return registerTracing(service, [new BatchSpanProcessor(exporter)], {
    sampleRatio: Number.isFinite(ratio) ? ratio : 1,
  });
}
