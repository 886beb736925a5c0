// Write requests must be JSON (415 otherwise) and at most 64 KiB (413), checked before anything
// reads the body, so a rejected request leaves nothing behind.
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ApiError } from "../../../shared/errors.ts";
import type { AppEnv } from "../app-env.ts";

export const MAX_BODY_BYTES = 64 * 1024;

const limit = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw new ApiError("payload_too_large", `The request body is larger than ${MAX_BODY_BYTES} bytes.`);
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
    return limit(c, next);
  };
