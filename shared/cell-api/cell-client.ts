// The control plane's client for one cell's internal API (see contract.ts). Tries the internal
// listeners of the cell's gateways in turn, so one dead gateway instance does not fail an admin
// action. These are the gateways' internal URLs, never their public ones: the public port does
// not serve /internal/v1.
import type { z } from "zod";
import {
  issueKeyResponse,
  listKeysResponse,
  type ProvisionPartnerRequest,
  partnerStateResponse,
  partnerTrafficResponse,
  provisionPartnerResponse,
  revokeKeyResponse,
  type UpdatePartnerRequest,
} from "./contract.ts";

export class CellApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

export interface CellClient {
  provisionPartner(req: ProvisionPartnerRequest): Promise<z.infer<typeof provisionPartnerResponse>>;
  updatePartner(partnerId: string, req: UpdatePartnerRequest): Promise<z.infer<typeof partnerStateResponse>>;
  getPartner(partnerId: string): Promise<z.infer<typeof partnerStateResponse>>;
  issueKey(partnerId: string, mode: "test" | "live"): Promise<z.infer<typeof issueKeyResponse>>;
  revokeKey(partnerId: string, keyId: string): Promise<z.infer<typeof revokeKeyResponse>>;
  listKeys(partnerId: string): Promise<z.infer<typeof listKeysResponse>>;
  traffic(partnerId: string): Promise<z.infer<typeof partnerTrafficResponse>>;
  /** Raw call for the move protocol and others: JSON in, parsed JSON out. */
  call<T>(method: string, path: string, body?: unknown, timeoutMs?: number): Promise<T>;
  ready(): Promise<boolean>;
}

export function createCellClient(opts: {
  /** Base URLs of the gateways' internal listeners (INTERNAL_PORT), not their public URLs. */
  internalUrls: string[];
  token: string;
  timeoutMs?: number;
}): CellClient {
  let next = 0;
  async function call<T>(
    method: string,
    path: string,
    body?: unknown,
    timeoutMs = opts.timeoutMs ?? 10_000,
  ): Promise<T> {
    let lastError: unknown;
    const start = next++;
    for (let i = 0; i < opts.internalUrls.length; i++) {
      const base = opts.internalUrls[(start + i) % opts.internalUrls.length]!;
      let res: Response;
      try {
        res = await fetch(`${base}/internal/v1${path}`, {
          method,
          headers: {
            authorization: `Bearer ${opts.token}`,
            ...(body === undefined ? {} : { "content-type": "application/json" }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        lastError = err; // this gateway is unreachable: try the next one
        continue;
      }
      const text = await res.text();
      const json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      if (!res.ok) {
        const error = json.error as { code?: string; message?: string } | undefined;
        throw new CellApiError(error?.message ?? `cell answered ${res.status}`, res.status, error?.code);
      }
      return json as T;
    }
    throw new CellApiError(
      `no gateway of the cell answered: ${(lastError as Error)?.message}`,
      503,
      "cell_unreachable",
    );
  }
  return {
    call,
    provisionPartner: (req) => call("POST", "/partners", req).then((r) => provisionPartnerResponse.parse(r)),
    updatePartner: (id, req) =>
      call("PATCH", `/partners/${id}`, req).then((r) => partnerStateResponse.parse(r)),
    getPartner: (id) => call("GET", `/partners/${id}`).then((r) => partnerStateResponse.parse(r)),
    issueKey: (id, mode) =>
      call("POST", `/partners/${id}/keys`, { mode }).then((r) => issueKeyResponse.parse(r)),
    revokeKey: (id, keyId) =>
      call("DELETE", `/partners/${id}/keys/${keyId}`).then((r) => revokeKeyResponse.parse(r)),
    listKeys: (id) => call("GET", `/partners/${id}/keys`).then((r) => listKeysResponse.parse(r)),
    traffic: (id) => call("GET", `/partners/${id}/traffic`).then((r) => partnerTrafficResponse.parse(r)),
    async ready() {
      try {
        await call("GET", "/health", undefined, 2000);
        return true;
      } catch {
        return false;
      }
    },
  };
}
