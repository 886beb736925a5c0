// A small, dependency-free renderer of an OpenAPI document: operations, parameters, schemas.
export function docsPage(specUrl: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cellpay API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2330;background:#f7f8fa}
main{max-width:980px;margin:0 auto;padding:24px}
h1{margin:0 0 8px}.op{background:#fff;border:1px solid #dde1e8;border-radius:8px;margin:14px 0;padding:12px 16px}
.m{display:inline-block;min-width:54px;font-weight:700;font-family:monospace}.get{color:#0a7}.post{color:#06c}
code,pre{font-family:ui-monospace,monospace;font-size:13px}pre{background:#f0f2f5;padding:10px;border-radius:6px;overflow:auto}
table{border-collapse:collapse}td,th{border:1px solid #dde1e8;padding:3px 8px;text-align:left}
details summary{cursor:pointer}
</style></head><body><main><h1>cellpay API</h1><div id="intro"></div><div id="ops">Loading…</div></main>
<script>
const esc = (s) => String(s ?? "").replace(/[&<>"]/g, (ch) => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;"}[ch]));
function md(text) {
  const lines = esc(text).split("\\n"); let html = "", table = false;
  for (const line of lines) {
    if (line.startsWith("|")) {
      if (/^\\|[-| ]+\\|$/.test(line)) continue;
      const cells = line.slice(1, -1).split("|").map((c) => "<td>" + c.trim() + "</td>").join("");
      html += (table ? "" : "<table>") + "<tr>" + cells + "</tr>"; table = true; continue;
    }
    if (table) { html += "</table>"; table = false; }
    if (line.startsWith("### ")) html += "<h3>" + line.slice(4) + "</h3>";
    else if (line.trim()) html += "<p>" + line.replace(/\`([^\`]+)\`/g, "<code>$1</code>") + "</p>";
  }
  return html + (table ? "</table>" : "");
}
fetch(${JSON.stringify(specUrl)}).then((r) => r.json()).then((spec) => {
  document.getElementById("intro").innerHTML = md(spec.info.description);
  const schemas = spec.components?.schemas ?? {};
  const resolve = (s) => (s && s.$ref ? schemas[s.$ref.split("/").pop()] : s);
  let html = "";
  for (const [path, ops] of Object.entries(spec.paths)) for (const [method, op] of Object.entries(ops)) {
    html += '<div class="op"><span class="m ' + method + '">' + method.toUpperCase() + "</span> <code>" + esc(path) + "</code> — " + esc(op.summary);
    if (op.description) html += "<p>" + esc(op.description) + "</p>";
    const params = op.parameters ?? [];
    if (params.length) html += "<table><tr><th>parameter</th><th>in</th><th>description</th></tr>" + params.map((p) => "<tr><td><code>" + esc(p.name) + "</code></td><td>" + esc(p.in) + "</td><td>" + esc(p.description ?? p.schema?.type) + "</td></tr>").join("") + "</table>";
    const body = op.requestBody?.content?.["application/json"]?.schema;
    if (body) html += "<details><summary>Request body</summary><pre>" + esc(JSON.stringify(resolve(body), null, 2)) + "</pre></details>";
    html += "<details><summary>Responses: " + Object.keys(op.responses).join(", ") + "</summary>";
    for (const [code, res] of Object.entries(op.responses)) {
      const s = res.content?.["application/json"]?.schema;
      html += "<p><b>" + code + "</b> " + esc(res.description) + "</p>" + (s && code < 300 ? "<pre>" + esc(JSON.stringify(resolve(s), null, 2)) + "</pre>" : "");
    }
    html += "</details></div>";
  }
  document.getElementById("ops").innerHTML = html;
});
</script></body></html>`;
}
