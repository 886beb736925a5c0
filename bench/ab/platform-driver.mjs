// One build's platform for the A/B, started by THAT build's own bench code: run with the build's
// root as cwd, `node --import tsx platform-driver.mjs <build root> <cells file>`. It imports the
// build's bench/lib/platform.ts (its launcher, its processes, its secrets layout), onboards one
// partner with no effective limits, prints one `AB_READY {json}` line, and stops the whole
// platform on SIGTERM/SIGINT (the build's own handler) or when its stdin closes (the A/B died).
// Plain JavaScript that speaks only HTTP to the admin API, so it works with any build's code.
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [root, cellsFile, cellId] = process.argv.slice(2);
if (!root || !cellsFile || !cellId) {
  console.error("usage: platform-driver.mjs <build root> <cells file> <cell id>");
  process.exit(2);
}
const { openPlatform } = await import(pathToFileURL(join(root, "bench/lib/platform.ts")).href);
const platform = await openPlatform({ cellsFile, target: undefined });
let stopping;
const stop = () => {
  stopping ??= platform.stop().finally(() => process.exit(0));
  return stopping;
};
process.stdin.on("end", stop);
process.stdin.on("error", stop);
process.stdin.resume();

async function admin(method, path, body) {
  const res = await fetch(`${platform.adminUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${platform.adminToken}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

try {
  const partner = await admin("POST", "/admin/v1/partners", { name: `ab ${Date.now()}`, cell_id: cellId });
  // One partner carries the whole dense load: its rate and concurrency limits must not be what
  // the A/B measures.
  await admin("PUT", `/admin/v1/partners/${partner.id}/limits`, {
    rate_limit: { rate: 100_000, burst: 100_000 },
    max_concurrency: 4096,
  });
  const ready = {
    routerUrl: platform.routerUrls[0],
    adminUrl: platform.adminUrl,
    partnerId: partner.id,
    apiKey: partner.api_key,
    cell: partner.cell_id,
    launcherPgid: platform.pgid,
    driverPid: process.pid,
  };
  process.stdout.write(`AB_READY ${JSON.stringify(ready)}\n`);
} catch (err) {
  console.error(`driver: ${err.stack ?? err}`);
  await stop();
}
