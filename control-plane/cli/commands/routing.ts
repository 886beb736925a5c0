// `routing`: the current routing table and its version.
import type { CliCommand } from "../command.ts";
import { table } from "../output.ts";

interface Table {
  version: number;
  cells: Record<string, { state: string; gateways: string[] }>;
  partners: Record<string, { cell: string; status: string; frozen: boolean }>;
}

export const command: CliCommand = {
  name: "routing",
  summary: "the routing table routers hold, with its version",
  subcommands: {
    "": {
      usage: "routing",
      summary: "print the table: version, cells, partner count per cell and status",
      async run(ctx) {
        const t = await ctx.api.request<Table>("GET", "/admin/v1/routing-table");
        if (ctx.json) return ctx.print(JSON.stringify(t, null, 2));
        const partners = Object.values(t.partners);
        const rows = Object.entries(t.cells).map(([id, c]) => ({
          cell: id,
          state: c.state,
          partners: partners.filter((p) => p.cell === id).length,
          suspended: partners.filter((p) => p.cell === id && p.status === "suspended").length,
          frozen: partners.filter((p) => p.cell === id && p.frozen).length,
          gateways: c.gateways.join(" "),
        }));
        ctx.print(
          `routing table version ${t.version}: ${Object.keys(t.cells).length} cells, ${partners.length} partners\n`,
        );
        ctx.print(table(rows, ["cell", "state", "partners", "suspended", "frozen", "gateways"]));
      },
    },
  },
};
