// The control plane's client for one cell's internal API (see contract.ts). Tries the internal
// listeners of the cell's gateways in turn, so one dead gateway instance does not fail an admin
// action. These are the gateways' internal URLs, never their public ones: the public port does
// not serve /internal/v1. Every answer is parsed by the contract's schema, the same the cell
// serves. The token is the cell-admin credential; export and
// import also carry a move capability.
import type { z } from "zod";
import {
  backlogResponse,
  type ChangesPage,
  changeCursorResponse,
  changesPageResponse,
  checksumsResponse,
  databaseLayoutResponse,
  type ExportPage,
  exportPageResponse,
  freezeResponse,
  healthResponse,
  importResponse,
  inFlightResponse,
  issueKeyResponse,
  listKeysResponse,
  MOVE_CAPABILITY_HEADER,
  type ProvisionPartnerRequest,
  partnerStateResponse,
  partnerTrafficResponse,
  provisionPartnerResponse,
  purgeResponse,
  revokeKeyResponse,
  type SplitChecksumsRequest,
  splitChecksumsResponse,
  stopChangeLogResponse,
  type UpdatePartnerRequest,
  xidResponse,
} from "./contract.ts";
import {
  CellKeyStatusSchema,
  DataKeyRotationSchema,
  DestroyedKeysSchema,
  MasterRotationResultSchema,
} from "./contract-keys.ts";
import { type RedriveRequest, redriveResponse } from "./contract-redrive.ts";

export class CellApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

type Out<S extends z.ZodType> = Promise<z.infer<S>>;

export interface ExportQuery {
  after?: unknown[] | null | undefined;
  sinceXid?: number | undefined;
  limit?: number | undefined;
}

export interface CellClient {
  provisionPartner(req: ProvisionPartnerRequest): Out<typeof provisionPartnerResponse>;
  updatePartner(partnerId: string, req: UpdatePartnerRequest): Out<typeof partnerStateResponse>;
  getPartner(partnerId: string): Out<typeof partnerStateResponse>;
  issueKey(partnerId: string, mode: "test" | "live"): Out<typeof issueKeyResponse>;
  revokeKey(partnerId: string, keyId: string): Out<typeof revokeKeyResponse>;
  listKeys(partnerId: string): Out<typeof listKeysResponse>;
  traffic(partnerId: string, timeoutMs?: number): Out<typeof partnerTrafficResponse>;
  // The move protocol.
  xid(): Promise<number>;
  exportRows(partnerId: string, table: string, query: ExportQuery, capability: string): Promise<ExportPage>;
  importRows(
    partnerId: string,
    table: string,
    rows: Record<string, unknown>[],
    capability: string,
    deleteKeys?: unknown[][],
  ): Out<typeof importResponse>;
  checksums(partnerId: string): Out<typeof checksumsResponse>;
  // The change log of a move (the capability names the move).
  startChangeLog(partnerId: string, capability: string): Promise<number>;
  changeCursor(partnerId: string, capability: string): Promise<number>;
  stopChangeLog(partnerId: string, capability: string): Out<typeof stopChangeLogResponse>;
  exportChanges(
    partnerId: string,
    table: string,
    query: { sinceXid8: number; afterSeq?: number | null | undefined; limit?: number | undefined },
    capability: string,
  ): Promise<ChangesPage>;
  splitChecksums(
    partnerId: string,
    body: SplitChecksumsRequest,
    capability: string,
  ): Out<typeof splitChecksumsResponse>;
  freeze(partnerId: string): Out<typeof freezeResponse>;
  unfreeze(partnerId: string, status: "active" | "suspended"): Out<typeof freezeResponse>;
  inFlight(partnerId: string): Promise<number>;
  backlog(partnerId: string): Out<typeof backlogResponse>;
  activate(partnerId: string, status: "active" | "suspended"): Out<typeof partnerStateResponse>;
  purge(partnerId: string, capability: string): Out<typeof purgeResponse>;
  // Key rotation (contract-keys.ts).
  keyStatus(): Out<typeof CellKeyStatusSchema>;
  rotateMaster(): Out<typeof MasterRotationResultSchema>;
  rotateData(): Out<typeof DataKeyRotationSchema>;
  destroyRetiredKeys(): Out<typeof DestroyedKeysSchema>;
  /** The cell's database role layout (primary, standbys, lag, sync state). */
  databaseLayout(timeoutMs?: number): Out<typeof databaseLayoutResponse>;
  /** Publishes events again from the outbox (contract-redrive.ts). */
  redriveEvents(req: RedriveRequest): Out<typeof redriveResponse>;
  ready(): Promise<boolean>;
}

interface Call {
  method: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

const MOVE_TIMEOUT_MS = 30_000;
/**
 * A move's checksums: before the freeze they read every row of the partner (at 1 M payments,
 * past 30 s on this machine: the move rolled back before freezing), which is harmless there, as
 * the partner is served meanwhile; under the freeze they read only the logged keys.
 */
const VERIFY_TIMEOUT_MS = 15 * 60_000;
/** Re-sealing every data key of a cell, or opening a rotation: bounded work, but more than a read. */
const KEYS_TIMEOUT_MS = 60_000;
const seg = encodeURIComponent;

export function createCellClient(opts: {
  /** Base URLs of the gateways' internal listeners (INTERNAL_PORT), not their public URLs. */
  internalUrls: string[];
  /** The cell-admin credential. */
  token: string;
  timeoutMs?: number;
}): CellClient {
  let next = 0;
  async function call<S extends z.ZodType>(schema: S, req: Call): Promise<z.infer<S>> {
    let lastError: unknown;
    const start = next++;
    for (let i = 0; i < opts.internalUrls.length; i++) {
      const base = opts.internalUrls[(start + i) % opts.internalUrls.length]!;
      let res: Response;
      try {
        res = await fetch(`${base}/internal/v1${req.path}`, {
          method: req.method,
          headers: {
            authorization: `Bearer ${opts.token}`,
            ...(req.body === undefined ? {} : { "content-type": "application/json" }),
            ...req.headers,
          },
          ...(req.body === undefined ? {} : { body: JSON.stringify(req.body) }),
          signal: AbortSignal.timeout(req.timeoutMs ?? opts.timeoutMs ?? 10_000),
        });
      } catch (err) {
        lastError = err; // this gateway is unreachable: try the next one
        continue;
      }
      const text = await res.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : {};
      } catch {
        throw new CellApiError(`cell answered ${res.status} with a body that is not JSON`, 502, undefined);
      }
      if (!res.ok) {
        const error = (json as { error?: { code?: string; message?: string } }).error;
        throw new CellApiError(error?.message ?? `cell answered ${res.status}`, res.status, error?.code);
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) {
        throw new CellApiError(
          `cell answered ${req.method} ${req.path.split("?")[0]} off contract`,
          502,
          undefined,
        );
      }
      return parsed.data;
    }
    throw new CellApiError(
      `no gateway of the cell answered: ${(lastError as Error)?.message}`,
      503,
      "cell_unreachable",
    );
  }
  const capability = (c: string) => ({ [MOVE_CAPABILITY_HEADER]: c });
  return {
    provisionPartner: (body) => call(provisionPartnerResponse, { method: "POST", path: "/partners", body }),
    updatePartner: (id, body) =>
      call(partnerStateResponse, { method: "PATCH", path: `/partners/${seg(id)}`, body }),
    getPartner: (id) => call(partnerStateResponse, { method: "GET", path: `/partners/${seg(id)}` }),
    issueKey: (id, mode) =>
      call(issueKeyResponse, { method: "POST", path: `/partners/${seg(id)}/keys`, body: { mode } }),
    revokeKey: (id, keyId) =>
      call(revokeKeyResponse, { method: "DELETE", path: `/partners/${seg(id)}/keys/${seg(keyId)}` }),
    listKeys: (id) => call(listKeysResponse, { method: "GET", path: `/partners/${seg(id)}/keys` }),
    traffic: (id, timeoutMs) =>
      call(partnerTrafficResponse, {
        method: "GET",
        path: `/partners/${seg(id)}/traffic`,
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
      }),
    xid: async () => (await call(xidResponse, { method: "GET", path: "/xid" })).xid,
    exportRows(id, table, query, cap) {
      const q = new URLSearchParams({ limit: String(query.limit ?? 1000) });
      if (query.after) q.set("after", JSON.stringify(query.after));
      if (query.sinceXid !== undefined) q.set("since_xid", String(query.sinceXid));
      return call(exportPageResponse, {
        method: "GET",
        path: `/partners/${seg(id)}/export/${seg(table)}?${q}`,
        headers: capability(cap),
        timeoutMs: MOVE_TIMEOUT_MS,
      });
    },
    importRows: (id, table, rows, cap, deleteKeys) =>
      call(importResponse, {
        method: "POST",
        path: `/partners/${seg(id)}/import/${seg(table)}`,
        body: deleteKeys && deleteKeys.length > 0 ? { rows, delete_keys: deleteKeys } : { rows },
        headers: capability(cap),
        timeoutMs: MOVE_TIMEOUT_MS,
      }),
    checksums: (id) =>
      call(checksumsResponse, {
        method: "GET",
        path: `/partners/${seg(id)}/checksums`,
        timeoutMs: MOVE_TIMEOUT_MS,
      }),
    startChangeLog: async (id, cap) =>
      (
        await call(changeCursorResponse, {
          method: "POST",
          path: `/partners/${seg(id)}/change-log`,
          headers: capability(cap),
          timeoutMs: MOVE_TIMEOUT_MS,
        })
      ).cursor,
    changeCursor: async (id, cap) =>
      (
        await call(changeCursorResponse, {
          method: "GET",
          path: `/partners/${seg(id)}/change-log`,
          headers: capability(cap),
        })
      ).cursor,
    stopChangeLog: (id, cap) =>
      call(stopChangeLogResponse, {
        method: "DELETE",
        path: `/partners/${seg(id)}/change-log`,
        headers: capability(cap),
        timeoutMs: MOVE_TIMEOUT_MS,
      }),
    exportChanges(id, table, query, cap) {
      const q = new URLSearchParams({
        since_xid8: String(query.sinceXid8),
        limit: String(query.limit ?? 1000),
      });
      if (query.afterSeq) q.set("after_seq", String(query.afterSeq));
      return call(changesPageResponse, {
        method: "GET",
        path: `/partners/${seg(id)}/changes/${seg(table)}?${q}`,
        headers: capability(cap),
        timeoutMs: MOVE_TIMEOUT_MS,
      });
    },
    splitChecksums: (id, body, cap) =>
      call(splitChecksumsResponse, {
        method: "POST",
        path: `/partners/${seg(id)}/checksums`,
        body,
        headers: capability(cap),
        timeoutMs: VERIFY_TIMEOUT_MS,
      }),
    freeze: (id) => call(freezeResponse, { method: "POST", path: `/partners/${seg(id)}/freeze` }),
    unfreeze: (id, status) =>
      call(freezeResponse, { method: "DELETE", path: `/partners/${seg(id)}/freeze`, body: { status } }),
    inFlight: async (id) =>
      (await call(inFlightResponse, { method: "GET", path: `/partners/${seg(id)}/in-flight` })).in_flight,
    backlog: (id) => call(backlogResponse, { method: "GET", path: `/partners/${seg(id)}/backlog` }),
    activate: (id, status) =>
      call(partnerStateResponse, { method: "POST", path: `/partners/${seg(id)}/activate`, body: { status } }),
    purge: (id, cap) =>
      call(purgeResponse, { method: "DELETE", path: `/partners/${seg(id)}`, headers: capability(cap) }),
    keyStatus: () => call(CellKeyStatusSchema, { method: "GET", path: "/keys" }),
    rotateMaster: () =>
      call(MasterRotationResultSchema, {
        method: "POST",
        path: "/keys/rotate-master",
        timeoutMs: KEYS_TIMEOUT_MS,
      }),
    rotateData: () =>
      call(DataKeyRotationSchema, { method: "POST", path: "/keys/rotate-data", timeoutMs: KEYS_TIMEOUT_MS }),
    destroyRetiredKeys: () =>
      call(DestroyedKeysSchema, {
        method: "POST",
        path: "/keys/destroy-retired",
        timeoutMs: KEYS_TIMEOUT_MS,
      }),
    databaseLayout: (timeoutMs) =>
      call(databaseLayoutResponse, {
        method: "GET",
        path: "/database",
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
      }),
    redriveEvents: (req) =>
      call(redriveResponse, {
        method: "POST",
        path: "/events/redrive",
        body: req,
        timeoutMs: MOVE_TIMEOUT_MS,
      }),
    async ready() {
      try {
        await call(healthResponse, { method: "GET", path: "/health", timeoutMs: 2000 });
        return true;
      } catch {
        return false;
      }
    },
  };
}
