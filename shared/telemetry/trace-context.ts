// W3C Trace Context (`traceparent: 00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`): parse,
// format, and start a span with @opentelemetry/api. When an SDK tracer provider is registered
// (otel-sdk.ts: OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set, or a test's in-memory exporter)
// spans are recorded; otherwise the API is a no-op and we make the ids ourselves, so every
// request still has a trace id for its logs and for the hops after it, at the cost of 24 random
// bytes from a pooled buffer.
import { randomFillSync } from "node:crypto";
import {
  context,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  TraceFlags,
  type Tracer,
  trace,
} from "@opentelemetry/api";

const header = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const zeroTrace = "0".repeat(32);
const zeroSpan = "0".repeat(16);

export function parseTraceparent(value: string | undefined | null): SpanContext | undefined {
  if (value?.length !== 55) return undefined;
  const m = header.exec(value);
  if (m === null || m[1] === zeroTrace || m[2] === zeroSpan) return undefined;
  return { traceId: m[1]!, spanId: m[2]!, traceFlags: Number.parseInt(m[3]!, 16), isRemote: true };
}

export function formatTraceparent(sc: Pick<SpanContext, "traceId" | "spanId" | "traceFlags">): string {
  return `00-${sc.traceId}-${sc.spanId}-${sc.traceFlags & 1 ? "01" : "00"}`;
}

const pool = Buffer.allocUnsafe(8192);
let offset = pool.length;
function randomHex(bytes: number): string {
  if (offset + bytes > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const hex = pool.toString("hex", offset, offset + bytes);
  offset += bytes;
  return hex;
}
export const newTraceId = () => randomHex(16);
export const newSpanId = () => randomHex(8);

/** Set by otel-sdk.ts once a real tracer provider is registered. */
let recording = false;
export function setTracingRecorded(on: boolean): void {
  recording = on;
}

const tracer = (): Tracer => trace.getTracer("cellpay");

export interface StartedSpan {
  span: Span;
  /** The span's ids: a child's parent, and what logs carry. */
  traceId: string;
  traceparent: string;
}

/**
 * Starts a span as the child of `parent` (a traceparent header, a SpanContext, or nothing for a
 * new trace). Call span.end() when the work is over.
 */
export function startSpan(
  name: string,
  parent: string | SpanContext | undefined,
  kind: SpanKind = SpanKind.SERVER,
  attributes?: Record<string, string | number>,
): StartedSpan {
  const parentSc = typeof parent === "string" ? parseTraceparent(parent) : parent;
  let span: Span;
  if (recording) {
    const ctx = parentSc ? trace.setSpanContext(ROOT_CONTEXT, parentSc) : ROOT_CONTEXT;
    span = tracer().startSpan(name, attributes ? { kind, attributes } : { kind }, ctx);
  } else {
    span = trace.wrapSpanContext({
      traceId: parentSc?.traceId ?? newTraceId(),
      spanId: newSpanId(),
      traceFlags: parentSc?.traceFlags ?? TraceFlags.SAMPLED,
    });
  }
  const sc = span.spanContext();
  return { span, traceId: sc.traceId, traceparent: formatTraceparent(sc) };
}

/** Runs `fn` with `span` as the active span, so spans started inside (by the API) are its children. */
export function withSpan<T>(span: Span, fn: () => T): T {
  return context.with(trace.setSpan(context.active(), span), fn);
}

/** The traceparent of the active span, if any (for hops that start inside a request). */
export function activeTraceparent(): string | undefined {
  const span = trace.getSpan(context.active());
  if (!span) return undefined;
  const sc = span.spanContext();
  return sc.traceId === zeroTrace ? undefined : formatTraceparent(sc);
}

export { SpanKind, SpanStatusCode } from "@opentelemetry/api";
