// Write requests must be JSON (415 otherwise) and at most 64 KiB (413), checked before anything
// reads the body, so a rejected request leaves nothing behind.
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ApiError, invalidRequest } from "../../../shared/errors.ts";
import type { AppEnv } from "../app-env.ts";

export const MAX_BODY_BYTES = 64 * 1024;

const tooLarge = () =>
  new ApiError("payload_too_large", `The request body is larger than ${MAX_BODY_BYTES} bytes.`);

const limit = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw tooLarge();
  },
});

const unsupported = () =>
  new ApiError("unsupported_media_type", "Send the request body as application/json.");

export const jsonBody = (): MiddlewareHandler<AppEnv> =>
  async function jsonBody(c, next) {
    if (c.req.method !== "POST") return next();
    const type = c.req.header("content-type");
    if (type === undefined) {
      // A POST without a body (e.g. cancel) needs no content type.
      const length = c.req.header("content-length");
      const chunked = c.req.header("transfer-encoding") !== undefined;
      if ((length === undefined || length === "0") && !chunked) return next();
      throw unsupported();
    }
    if (!/^application\/json\s*(;|$)/i.test(type)) throw unsupported();
    // With a Content-Length the header decides, and the body is left for the route to read once,
    // straight from the socket: hono's bodyLimit reads `c.req.raw.body`, which turns every request
    // into a full web Request with a ReadableStream body (a measurable share of a payment's CPU).
    const length = c.req.header("content-length");
    if (length !== undefined && c.req.header("transfer-encoding") === undefined) {
      if (!/^\d+$/.test(length)) throw invalidRequest("content-length", "Content-Length must be a number.");
      if (Number(length) > MAX_BODY_BYTES) throw tooLarge();
      return next();
    }
    // A chunked body has no length up front: count it as it streams.
    return limit(c, next);
  };
