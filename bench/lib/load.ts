// Open-loop load: requests leave at a set arrival rate whatever the answers do, and each one's
// latency is measured from its *intended* send time, so a stall shows up in full (no coordinated
// omission). Keep-alive undici Pools, one per router, used round-robin.
import { Pool } from "undici";
import type { Sample } from "./stats.ts";
import type { BenchPartner, Op, PlannedRequest, Workload } from "./workload.ts";

export interface Stream {
  /** Arrivals per second at t seconds into the run. */
  rateAt(t: number): number;
  phaseAt(t: number): string;
  pickPartner(): BenchPartner;
  /** Forces one operation (e.g. a noisy partner sending only payments). */
  op?: Op;
  /** Label added to the samples' phase, to tell streams apart. */
  label?: string;
}

export interface RunOptions {
  seconds: number;
  streams: Stream[];
  /** Called once a second with the run's time. */
  onSecond?: (t: number) => void | Promise<void>;
  /** Ends the run early (e.g. the knee was found). */
  shouldStop?: () => boolean;
}

export class LoadGenerator {
  readonly samples: Sample[] = [];
  inFlight = 0;
  private readonly pools: Pool[];
  private rr = 0;
  private start = 0;
  /** Samples of the current second, for the progress line. */
  private window: Sample[] = [];

  constructor(
    urls: string[],
    connections: number,
    private readonly workload: Workload,
  ) {
    const per = Math.max(1, Math.ceil(connections / urls.length));
    this.pools = urls.map(
      (u) => new Pool(u, { connections: per, pipelining: 1, headersTimeout: 30_000, bodyTimeout: 30_000 }),
    );
  }

  now(): number {
    return performance.now() - this.start;
  }

  async run(opts: RunOptions): Promise<void> {
    this.start = performance.now();
    const next = opts.streams.map(() => 0);
    let lastSecond = 0;
    let ticks: Promise<unknown> = Promise.resolve();
    const endMs = opts.seconds * 1000;
    for (;;) {
      const now = this.now();
      for (const [i, stream] of opts.streams.entries()) {
        while (next[i]! <= now && next[i]! < endMs) {
          const intended = next[i]!;
          const rate = stream.rateAt(intended / 1000);
          next[i] = intended + (rate > 0 ? 1000 / rate : 100);
          if (rate > 0) void this.fire(stream, intended);
        }
      }
      if (now >= lastSecond * 1000 + 1000) {
        lastSecond = Math.floor(now / 1000);
        // Chained, not awaited: sending must not pause while the ticker samples /proc or a
        // scenario judges a step. A pause here made every step boundary look like a stall.
        const second = lastSecond;
        ticks = ticks.then(() => opts.onSecond?.(second));
      }
      if (now >= endMs || opts.shouldStop?.()) break;
      await new Promise((r) => setTimeout(r, 1));
    }
    await ticks;
    const drainUntil = performance.now() + 35_000;
    while (this.inFlight > 0 && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 50));
    // Still unanswered 35 s after the last send: counted, not silently dropped.
    this.abandoned += this.inFlight;
  }

  /** Requests that had no answer when the run ended (each run adds its own). */
  abandoned = 0;

  /** The samples completed since the last call (for a progress line). */
  takeWindow(): Sample[] {
    const w = this.window;
    this.window = [];
    return w;
  }

  private async fire(stream: Stream, intended: number): Promise<void> {
    const partner = stream.pickPartner();
    const req: PlannedRequest = this.workload.plan(partner, stream.op);
    const phase = stream.label
      ? `${stream.label}:${stream.phaseAt(intended / 1000)}`
      : stream.phaseAt(intended / 1000);
    const cell = partner.cell;
    const pool = this.pools[this.rr++ % this.pools.length]!;
    const headers: Record<string, string> = { authorization: `Bearer ${partner.apiKey}` };
    if (req.body !== undefined) headers["content-type"] = "application/json";
    if (req.key !== undefined) headers["idempotency-key"] = req.key;
    this.inFlight++;
    let status = 0;
    let code: string | undefined;
    let retryAfter = false;
    try {
      const res = await pool.request({ method: req.method, path: req.path, headers, body: req.body ?? null });
      status = res.statusCode;
      const wantBody = status >= 300 || req.method === "POST";
      let text = "";
      if (wantBody) text = await res.body.text();
      else await res.body.dump();
      if (status >= 300) {
        code = parseCode(text);
        retryAfter = res.headers["retry-after"] !== undefined;
        if (req.op === "capture" || req.op === "cancel") this.workload.giveBack(partner, req);
      } else if (req.op === "retry" && res.headers["idempotent-replayed"] !== "true") {
        status = 599; // a retry must replay; anything else is a failed request
        code = "not_replayed";
      } else if (req.method === "POST") {
        this.workload.observe(partner, req, JSON.parse(text) as { id?: string; status?: string });
      }
      if (status !== 599 && status < 300 && status !== req.expect) code = `unexpected_${status}`;
    } catch (err) {
      code = (err as { code?: string }).code ?? (err as Error).name;
    } finally {
      this.inFlight--;
    }
    const sample: Sample = {
      t: intended,
      latency: this.now() - intended,
      op: req.op,
      cell,
      partner: partner.index,
      status,
      code,
      phase,
      ...(retryAfter ? { retryAfter } : {}),
    };
    this.samples.push(sample);
    this.window.push(sample);
  }

  async close(): Promise<void> {
    await Promise.all(this.pools.map((p) => p.close()));
  }
}

function parseCode(text: string): string | undefined {
  try {
    return (JSON.parse(text) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}
