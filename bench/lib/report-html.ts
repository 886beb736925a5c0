// The self-contained HTML report: tables and inline SVG line charts, no script, no CDN.
import { type BenchReport, cpuMsPerRequest } from "./report.ts";
import type { SecondPoint } from "./stats.ts";

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

function lineChart(
  title: string,
  points: SecondPoint[],
  series: { key: keyof SecondPoint; color: string; label: string }[],
  unit: string,
): string {
  const w = 900;
  const h = 260;
  const pad = { l: 60, r: 10, t: 24, b: 30 };
  const xs = points.map((p) => p.second);
  const maxX = Math.max(1, ...xs);
  const maxY = Math.max(1, ...points.flatMap((p) => series.map((s) => Number(p[s.key]) || 0))) * 1.05;
  const x = (v: number) => pad.l + (v / maxX) * (w - pad.l - pad.r);
  const y = (v: number) => h - pad.b - (v / maxY) * (h - pad.t - pad.b);
  const ticks = Array.from({ length: 5 }, (_, i) => (maxY * i) / 4);
  const grid = ticks
    .map(
      (v) =>
        `<line x1="${pad.l}" x2="${w - pad.r}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${pad.l - 6}" y="${y(v) + 4}" text-anchor="end" font-size="11">${v >= 100 ? v.toFixed(0) : v.toFixed(1)}</text>`,
    )
    .join("");
  const lines = series
    .map((s) => {
      const d = points
        .filter((p) => Number.isFinite(Number(p[s.key])))
        .map((p, i) => `${i ? "L" : "M"}${x(p.second).toFixed(1)},${y(Number(p[s.key])).toFixed(1)}`)
        .join("");
      return `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.5"/>`;
    })
    .join("");
  const legend = series
    .map(
      (s, i) =>
        `<text x="${pad.l + 10 + i * 150}" y="16" font-size="12" fill="${s.color}">■ ${esc(s.label)}</text>`,
    )
    .join("");
  return `<h3>${esc(title)}</h3><svg width="${w}" height="${h}" xmlns="http://www.w3.org/2000/svg" font-family="sans-serif">${grid}${lines}${legend}
<text x="${w / 2}" y="${h - 6}" text-anchor="middle" font-size="11">seconds into the run (intended send time)</text>
<text x="12" y="${h / 2}" font-size="11" transform="rotate(-90 12 ${h / 2})" text-anchor="middle">${esc(unit)}</text></svg>`;
}

function table(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return "<p>(none)</p>";
  const cols = Object.keys(rows[0]!);
  const cell = (v: unknown) =>
    esc(typeof v === "number" ? String(Math.round(v * 100) / 100) : String(v ?? ""));
  return `<table><tr>${cols.map((c) => `<th>${esc(c)}</th>`).join("")}</tr>${rows
    .map((r) => `<tr>${cols.map((c) => `<td>${cell(r[c])}</td>`).join("")}</tr>`)
    .join("")}</table>`;
}

export function renderHtml(r: BenchReport): string {
  const s = r.summary;
  const withName = (o: Record<string, object>, name: string) =>
    Object.entries(o).map(([k, v]) => ({ [name]: k, ...v }));
  const cpu = Object.entries(r.cpuByPhase).map(
    ([phase, usage]) =>
      `<h3>CPU by process, phase ${esc(phase)}</h3>${table(usage.map((u) => ({ ...u, cores: u.cores, rssMb: u.rssMb })))}`,
  );
  return `<!doctype html><html><head><meta charset="utf-8"><title>cellpay bench ${esc(r.scenario)} ${esc(r.startedAt)}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:1000px}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 8px;font-size:13px;text-align:right}th{background:#f4f4f4}.pass{color:#080}.fail{color:#b00}</style></head><body>
<h1>cellpay bench: ${esc(r.scenario)}</h1>
<p>${esc(r.startedAt)} · machine: ${r.machine.cpus} × ${esc(r.machine.cpuModel)}, ${r.machine.memoryGiB} GiB, Node ${esc(r.machine.node)} · ${r.partners.count} partners (onboarded in ${r.partners.onboardingSeconds.toFixed(1)} s) · options ${esc(JSON.stringify(r.options))}</p>
<p>Every figure comes from this run on this machine; ceilings were measured in the same run, so the ratios are what carries over to another machine.</p>
<h2>Headline (measured phases: ${esc(r.result.measured.join(", "))})</h2>
${table([
  {
    "requests/s ok": s.requestsPerSecond,
    "payments/s": s.paymentsPerSecond,
    p50: s.overall.p50,
    p90: s.overall.p90,
    p99: s.overall.p99,
    "p99.9": s.overall.p999,
    errors: s.overall.count - s.overall.ok,
    unanswered: r.abandoned,
    "÷ bare Hono": s.ratioToHono ?? "n/a",
    "payments ÷ PG 1-row commits": s.ratioToPostgres ?? "n/a",
  },
])}
<h2>Checks</h2><ul>${r.result.checks.map((c) => `<li class="${c.pass ? "pass" : "fail"}">${c.pass ? "PASS" : "FAIL"} ${esc(c.name)}: ${esc(c.detail)}</li>`).join("")}</ul>
<ul>${r.result.notes.map((n) => `<li>${esc(n)}</li>`).join("")}</ul>
<h2>Ceilings (same run)</h2>${table([
    {
      ceiling: "bare Hono JSON route",
      value: r.ceilings.hono?.rps ?? "skipped",
      detail: JSON.stringify(r.ceilings.hono ?? {}),
    },
    {
      ceiling: "Postgres 1-row commits/s",
      value: r.ceilings.postgres?.insertsPerSecond ?? "skipped",
      detail: JSON.stringify(r.ceilings.postgres?.byConcurrency ?? {}),
    },
  ])}
${lineChart(
  "Throughput",
  s.perSecond,
  [
    { key: "sent", color: "#1f77b4", label: "sent/s" },
    { key: "ok", color: "#2ca02c", label: "2xx/s" },
    { key: "errors", color: "#d62728", label: "errors/s" },
  ],
  "requests per second",
)}
${lineChart(
  "Latency from intended send time",
  s.perSecond,
  [
    { key: "p50", color: "#1f77b4", label: "p50" },
    { key: "p99", color: "#d62728", label: "p99" },
  ],
  "ms",
)}
<h2>Latency by operation (ms)</h2>${table(withName(s.byOp, "op"))}
<h2>Latency by cell (ms)</h2>${table(withName(s.byCell, "cell"))}
<h2>Latency by phase (ms)</h2>${table(withName(s.byPhase, "phase"))}
<h2>Errors by status and code</h2>${table(Object.entries(s.errors).map(([k, n]) => ({ error: k, count: n })))}
<h2>CPU ms per successful request, by role</h2>${table(
    Object.entries(cpuMsPerRequest(r)).map(([phase, ms]) => ({ phase, ...ms })),
  )}
${cpu.join("\n")}
<h2>Scenario details</h2><pre>${esc(JSON.stringify(r.result.extra, null, 2))}</pre>
</body></html>`;
}
