// The CLI's client for the admin API: the URL from the environment; the token from
// CELLPAY_ADMIN_TOKEN or a file (`--token-file`, default .data/admin-token, which `npm start`
// writes), never from the command line (it would sit in the shell history and `ps`). JSON in and
// out, API errors as AdminApiError.
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
  /** A GET whose answer is not JSON (a CSV export). */
  text(path: string): Promise<string>;
}

export const defaultTokenFile = fileURLToPath(new URL("../../.data/admin-token", import.meta.url));

function adminToken(env: NodeJS.ProcessEnv, tokenFile: string | undefined): string {
  if (!tokenFile && env.CELLPAY_ADMIN_TOKEN) return env.CELLPAY_ADMIN_TOKEN;
  const file = tokenFile ?? defaultTokenFile;
  try {
    return readFileSync(file, "utf8").trim();
  } catch {
    throw new Error(
      `no admin token: set CELLPAY_ADMIN_TOKEN, pass --token-file <file>, or run \`npm start\` (it writes ${defaultTokenFile})`,
    );
  }
}

export function createAdminClient(
  env: NodeJS.ProcessEnv = process.env,
  /** `reason`: added to every change's body (`--reason "…"`): destructive calls need one. */
  opts: { tokenFile?: string | undefined; reason?: string | undefined } = {},
): AdminClient {
  const baseUrl = (env.CELLPAY_ADMIN_URL ?? "http://127.0.0.1:17000").replace(/\/+$/, "");
  let token: string | undefined;
  const bearer = () => {
    token ??= adminToken(env, opts.tokenFile);
    return token;
  };
  return {
    baseUrl,
    async text(path: string): Promise<string> {
      const res = await fetch(`${baseUrl}${path}`, {
        headers: { authorization: `Bearer ${bearer()}` },
        signal: AbortSignal.timeout(60_000),
      });
      const text = await res.text();
      if (!res.ok) throw new AdminApiError(res.status, text.startsWith("{") ? JSON.parse(text) : {});
      return text;
    },
    async request<T>(method: string, path: string, given?: unknown): Promise<T> {
      const body =
        opts.reason !== undefined && method !== "GET" && (given === undefined || typeof given === "object")
          ? { ...(given as object | undefined), reason: opts.reason }
          : given;
      let res: Response;
      try {
        res = await fetch(`${baseUrl}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${bearer()}`,
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
