// 2026-12-01: a failed payment says why in one object, `failure: { code, message }`, instead of
// the two loose fields `failure_code` and `failure_message` (both null on every other payment).
import type { Json, VersionChange } from "../version-change.ts";

interface Failure {
  code: string;
  message: string | null;
}

export const paymentFailureObject: VersionChange = {
  version: "2026-12-01",
  name: "payment_failure_object",
  description:
    "Payments: `failure_code` and `failure_message` are replaced by one `failure` object, `{ code, message }`, which is null unless the payment failed. Events carrying a payment change the same way.",
  objects: {
    payment: {
      down(obj) {
        if (!("failure" in obj)) return obj;
        const { failure, ...rest } = obj as Json & { failure: Failure | null };
        return { ...rest, failure_code: failure?.code ?? null, failure_message: failure?.message ?? null };
      },
      up(obj) {
        if ("failure" in obj || !("failure_code" in obj)) return obj;
        const { failure_code, failure_message, ...rest } = obj as Json & {
          failure_code: string | null;
          failure_message: string | null;
        };
        return {
          ...rest,
          failure: failure_code === null ? null : { code: failure_code, message: failure_message ?? null },
        };
      },
    },
  },
  schemas: {
    Payment(schema) {
      const properties = { ...(schema.properties as Json) };
      delete properties.failure;
      properties.failure_code = {
        type: ["string", "null"],
        description: "Why the payment failed (a decline code); null unless it failed.",
      };
      properties.failure_message = { type: ["string", "null"] };
      const required = ((schema.required as string[] | undefined) ?? []).filter((r) => r !== "failure");
      return { ...schema, properties, required: [...required, "failure_code", "failure_message"] };
    },
  },
};
