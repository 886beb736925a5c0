// One internal-API client per cell (see shared/cell-api), on the gateways' internal listeners;
// rebuilt when they change.
import { type CellClient, createCellClient } from "../../shared/cell-api/cell-client.ts";

export interface CellClients {
  forCell(cell: { id: string; internalGateways: string[] }): CellClient;
}

export function createCellClients(opts: { token: string; timeoutMs: number }): CellClients {
  const cache = new Map<string, { key: string; client: CellClient }>();
  return {
    forCell(cell) {
      const key = cell.internalGateways.join(",");
      const hit = cache.get(cell.id);
      if (hit?.key === key) return hit.client;
      const client = createCellClient({
        internalUrls: cell.internalGateways,
        token: opts.token,
        timeoutMs: opts.timeoutMs,
      });
      cache.set(cell.id, { key, client });
      return client;
    },
  };
}
