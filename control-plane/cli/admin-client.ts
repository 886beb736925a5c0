// The CLI's client for the admin API: URL and token from the environment (or the token the local
// platform wrote to .data/admin-token), JSON in and out, API errors as AdminApiError.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export class AdminApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: { error?: { code?: string; message?: string; param?: string } },
  ) {
    super(body.error?.message ?? `the admin API answered ${status}`);
  }
}

export interface AdminClient {
  baseUrl: string;
  request<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T>;
}

const tokenFile = fileURLToPath(new URL("../../.data/admin-token", import.meta.url));

function adminToken(env: NodeJS.ProcessEnv): string {
  if (env.CELLPAY_ADMIN_TOKEN) return env.CELLPAY_ADMIN_TOKEN;
  try {
    return readFileSync(tokenFile, "utf8").trim();
  } catch {
    throw new Error(`no admin token: set CELLPAY_ADMIN_TOKEN, or run \`npm start\` (it writes ${tokenFile})`);
  }
}

export function createAdminClient(env: NodeJS.ProcessEnv = process.env): AdminClient {
  const baseUrl = (env.CELLPAY_ADMIN_URL ?? "http://127.0.0.1:17000").replace(/\/+$/, "");
  const token = adminToken(env);
  return {
    baseUrl,
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      let res: Response;
      try {
        res = await fetch(`${baseUrl}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body === undefined ? {} : { "content-type": "application/json" }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(60_000),
        });
      } catch (err) {
        throw new Error(`cannot reach the control plane at ${baseUrl}: ${(err as Error).message}`);
      }
      const text = await res.text();
      const json = text ? JSON.parse(text) : {};
      if (!res.ok) throw new AdminApiError(res.status, json);
      return json as T;
    },
  };
}
