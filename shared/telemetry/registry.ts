// A tiny metrics registry with Prometheus text exposition: counters, gauges and fixed-bucket
// histograms. Hand-rolled rather than an SDK so the hot path is a Map lookup and a few adds: a
// series is found by its label values joined into one key, and callers that know their labels
// up front hold the series itself (`counter.series(...)`) and skip even that lookup.
// Label cardinality is the caller's promise: label values must come from small closed sets
// (route patterns, status classes, cell ids), never partner ids or raw paths.

type LabelValues = readonly string[];

interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "gauge" | "histogram";
  render(out: string[]): void;
}

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');

function labelText(names: readonly string[], values: LabelValues, extra?: string): string {
  const parts = names.map((n, i) => `${n}="${escapeLabel(values[i] ?? "")}"`);
  if (extra) parts.push(extra);
  return parts.length ? `{${parts.join(",")}}` : "";
}

const num = (v: number) => (Number.isFinite(v) ? String(v) : v > 0 ? "+Inf" : v < 0 ? "-Inf" : "NaN");

export class CounterSeries {
  value = 0;
  inc(by = 1): void {
    this.value += by;
  }
}

export class Counter implements Family {
  readonly type = "counter";
  private readonly map = new Map<string, { values: LabelValues; s: CounterSeries }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[] = [],
  ) {}
  series(...values: string[]): CounterSeries {
    const key = values.join("\u0001");
    let entry = this.map.get(key);
    if (!entry) {
      entry = { values, s: new CounterSeries() };
      this.map.set(key, entry);
    }
    return entry.s;
  }
  inc(values: LabelValues, by = 1): void {
    this.series(...values).inc(by);
  }
  render(out: string[]): void {
    for (const { values, s } of this.map.values())
      out.push(`${this.name}${labelText(this.labelNames, values)} ${num(s.value)}`);
  }
}

export class Gauge implements Family {
  readonly type = "gauge";
  private readonly map = new Map<string, { values: LabelValues; v: number }>();
  /** Called at each scrape before rendering: reads state that lives elsewhere. */
  collect: ((g: Gauge) => void) | undefined;
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[] = [],
  ) {}
  set(values: LabelValues, v: number): void {
    const key = values.join("\u0001");
    const entry = this.map.get(key);
    if (entry) entry.v = v;
    else this.map.set(key, { values, v });
  }
  /** Drops every series (a collect that rebuilds them all, so a vanished label set disappears). */
  reset(): void {
    this.map.clear();
  }
  render(out: string[]): void {
    this.collect?.(this);
    for (const { values, v } of this.map.values())
      out.push(`${this.name}${labelText(this.labelNames, values)} ${num(v)}`);
  }
}

export class HistogramSeries {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length);
  }
  observe(v: number): void {
    this.sum += v;
    this.count++;
    const b = this.bounds;
    for (let i = 0; i < b.length; i++) {
      if (v <= b[i]!) {
        this.counts[i]!++;
        return;
      }
    }
  }
}

/** Seconds: 1 ms … 10 s, the span of a payment from a cache hit to a slow acquirer. */
export const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Histogram implements Family {
  readonly type = "histogram";
  private readonly map = new Map<string, { values: LabelValues; s: HistogramSeries }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[] = [],
    readonly bounds: readonly number[] = latencyBuckets,
  ) {}
  series(...values: string[]): HistogramSeries {
    const key = values.join("\u0001");
    let entry = this.map.get(key);
    if (!entry) {
      entry = { values, s: new HistogramSeries(this.bounds) };
      this.map.set(key, entry);
    }
    return entry.s;
  }
  observe(values: LabelValues, v: number): void {
    this.series(...values).observe(v);
  }
  render(out: string[]): void {
    for (const { values, s } of this.map.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += s.counts[i]!;
        out.push(
          `${this.name}_bucket${labelText(this.labelNames, values, `le="${this.bounds[i]}"`)} ${cumulative}`,
        );
      }
      out.push(`${this.name}_bucket${labelText(this.labelNames, values, 'le="+Inf"')} ${s.count}`);
      out.push(`${this.name}_sum${labelText(this.labelNames, values)} ${num(s.sum)}`);
      out.push(`${this.name}_count${labelText(this.labelNames, values)} ${s.count}`);
    }
  }
}

export class MetricsRegistry {
  private readonly families = new Map<string, Family>();
  private readonly beforeScrape: (() => void | Promise<void>)[] = [];

  /** Labels every series of this registry carries (e.g. `cell`), rendered first. */
  constructor(private readonly constLabels: Record<string, string> = {}) {}

  counter(name: string, help: string, labels: readonly string[] = []): Counter {
    return this.add(new Counter(name, help, labels));
  }
  gauge(name: string, help: string, labels: readonly string[] = []): Gauge {
    return this.add(new Gauge(name, help, labels));
  }
  histogram(
    name: string,
    help: string,
    labels: readonly string[] = [],
    bounds?: readonly number[],
  ): Histogram {
    return this.add(new Histogram(name, help, labels, bounds));
  }
  /** Work to do before each scrape (a gauge read from the database); its failure is not the scrape's. */
  onScrape(fn: () => void | Promise<void>): void {
    this.beforeScrape.push(fn);
  }

  private add<F extends Family>(family: F): F {
    if (this.families.has(family.name)) throw new Error(`metric ${family.name} registered twice`);
    this.families.set(family.name, family);
    return family;
  }

  async render(): Promise<string> {
    await Promise.all(
      this.beforeScrape.map((fn) =>
        Promise.resolve()
          .then(fn)
          .catch(() => {}),
      ),
    );
    const out: string[] = [];
    const constPart = Object.entries(this.constLabels)
      .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
      .join(",");
    for (const f of this.families.values()) {
      out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
      const lines: string[] = [];
      f.render(lines);
      if (!constPart) out.push(...lines);
      else for (const line of lines) out.push(withConstLabels(line, constPart));
    }
    return `${out.join("\n")}\n`;
  }
}

function withConstLabels(line: string, constPart: string): string {
  const brace = line.indexOf("{");
  const space = line.indexOf(" ");
  if (brace !== -1 && brace < space)
    return `${line.slice(0, brace + 1)}${constPart},${line.slice(brace + 1)}`;
  return `${line.slice(0, space)}{${constPart}}${line.slice(space)}`;
}

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** 2xx, 4xx, 5xx… from a status code: the bounded label requests are counted under. */
export function statusClass(status: number): string {
  return status >= 500 ? "5xx" : status >= 400 ? "4xx" : status >= 300 ? "3xx" : "2xx";
}
