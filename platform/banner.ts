// What `npm start` prints once everything is up: the endpoint first (tools read the first URL).
import type { CellConfig } from "../shared/config/cells-config.ts";

export function printBanner(opts: {
  cells: { cell: CellConfig; gatewayUrls: string[]; internalUrls: string[] }[];
  routerUrls: string[];
  controlPlaneUrl: string;
  adminToken: string;
  apiKey: string;
  seconds: number;
  /** With `--tls`: the development CA that clients must trust. */
  caFile?: string;
}): void {
  const endpoint = opts.routerUrls[0]!;
  const { apiKey } = opts;
  const body = JSON.stringify({
    amount: 1999,
    currency: "EUR",
    payment_method: {
      type: "card",
      card: { number: "4242424242424242", exp_month: 12, exp_year: 2034, cvc: "123" },
    },
  });
  const port = (u: string) => u.replace(/^https?:\/\/127\.0\.0\.1/, "");
  const trust = opts.caFile ? ` --cacert ${opts.caFile}` : "";
  const lines = [
    "",
    `cellpay is up (${opts.cells.length} cells, ${opts.seconds.toFixed(1)} s)`,
    "",
    `  Endpoint:      ${endpoint}   (global router; also ${opts.routerUrls.slice(1).map(port).join(" ") || "-"})`,
    `  Test API key:  ${apiKey}`,
    ...(opts.caFile
      ? [
          `  TLS:           local development CA ${opts.caFile}; curl${trust}, or NODE_EXTRA_CA_CERTS=${opts.caFile}`,
        ]
      : []),
    `  API reference: ${endpoint}/docs`,
    `  Control plane: ${opts.controlPlaneUrl}   admin token ${opts.adminToken}   (npm run admin -- partners list)`,
    "",
    "  First payment:",
    `  curl -s${trust} ${endpoint}/v1/payments \\`,
    `    -H "Authorization: Bearer ${apiKey}" \\`,
    `    -H "Content-Type: application/json" -H "Idempotency-Key: first-payment-$(date +%s)" \\`,
    `    -d '${body}'`,
    "",
    "  Cells:",
    ...opts.cells.map(
      ({ cell, gatewayUrls, internalUrls }) =>
        `    ${cell.id.padEnd(8)} gateways ${gatewayUrls.map(port).join(" ")}  internal ${internalUrls.map(port).join(" ")}  postgres :${cell.postgres.port}${cell.postgres.replicas > 1 ? ` (${cell.postgres.replicas} copies, patroni)` : ""}  redis :${cell.redis.port}  nats :${cell.nats.port}  relay + ${cell.processors} processor(s)  (logs: .data/cells/${cell.id}/logs)`,
    ),
    "",
    "  Internal listeners (internal API, /metrics; never reached through the routers):",
    `  curl -s ${opts.cells[0]?.internalUrls[0] ?? ""}/metrics -H "Authorization: Bearer $(cat .data/metrics-token)"`,
    "",
    "Press Ctrl-C to stop every process.",
  ];
  console.log(lines.join("\n"));
}
