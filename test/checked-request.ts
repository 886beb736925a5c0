// Raw HTTP requests to a test cell that check what must hold for every answer a partner gets: a
// `request-id` header, JSON, no stack frame and no card number in the body; for an error, the one
// shape with the same id. Shared by the bad-input suites (test/e2e/bad-input*.test.ts).
import { expect } from "vitest";

export interface ErrorFields {
  type: string;
  code: string;
  message: string;
  param?: string;
  request_id: string;
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: { error?: ErrorFields } & Record<string, unknown>;
}

export interface SendOptions {
  body?: BodyInit;
  headers?: Record<string, string>;
  /** The Authorization header: the partner's key by default, none with null. */
  auth?: string | null;
}

/**
 * `baseUrl` and `apiKey` are read at each call (suites set them in beforeAll); every answer's
 * status is appended to `statuses`, so a suite can check at the end that none was a 5xx.
 */
export function checkedClient(o: {
  baseUrl: () => string;
  apiKey: () => string;
  /** Card numbers the suite sends: none may come back in a body. */
  sentPans: readonly string[];
  statuses: { what: string; status: number }[];
}) {
  return async function send(method: string, path: string, opts: SendOptions = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...opts.headers };
    const auth = opts.auth === undefined ? `Bearer ${o.apiKey()}` : opts.auth;
    if (auth !== null) headers.authorization = auth;
    const init: RequestInit & { duplex?: "half" } = { method, headers };
    if (opts.body !== undefined) init.body = opts.body;
    if (opts.body instanceof ReadableStream) init.duplex = "half";
    const res = await fetch(o.baseUrl() + path, init);
    const text = await res.text();
    o.statuses.push({ what: `${method} ${path}`, status: res.status });

    const requestId = res.headers.get("request-id");
    expect(requestId, `request-id header on ${method} ${path}`).toMatch(/^req_/);
    expect(text).not.toMatch(/\n\s+at |\bat [\w.<>]+ \(|\.ts:\d+|node_modules|node:internal/);
    for (const pan of o.sentPans) expect(text).not.toContain(pan);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const body = JSON.parse(text) as Answer["body"];
    if (res.status >= 400) {
      expect(Object.keys(body)).toEqual(["error"]);
      const error = body.error;
      expect(error).toBeDefined();
      expect(Object.keys(error ?? {}).sort()).toEqual(
        error?.param === undefined
          ? ["code", "message", "request_id", "type"]
          : ["code", "message", "param", "request_id", "type"],
      );
      expect(error?.request_id).toBe(requestId);
      expect(error?.message.length).toBeGreaterThan(0);
    }
    return { status: res.status, headers: res.headers, text, body };
  };
}

export const json = (value: unknown, headers: Record<string, string> = {}) => ({
  body: JSON.stringify(value),
  headers: { "content-type": "application/json", ...headers },
});

export function expectError(res: Answer, status: number, code: string, param?: string): ErrorFields {
  expect({ status: res.status, code: res.body.error?.code }).toEqual({ status, code });
  if (param !== undefined) expect(res.body.error?.param).toBe(param);
  return res.body.error as ErrorFields;
}
