// 2026-12-01: a partial capture names the amount it captures, `amount_to_capture`, so it cannot
// be read as the payment's amount (the request used to say `amount`).
import type { Json, VersionChange } from "../version-change.ts";

export const captureAmountToCapture: VersionChange = {
  version: "2026-12-01",
  name: "capture_amount_to_capture",
  description:
    "`POST /v1/payments/{id}/capture`: the optional `amount` is renamed `amount_to_capture`. Sending `amount` with this version is a 400.",
  requests: [
    {
      method: "POST",
      path: "/v1/payments/:id/capture",
      up(body) {
        if (!("amount" in body)) return body;
        const { amount, ...rest } = body;
        return { ...rest, amount_to_capture: amount };
      },
      paramNames: { amount_to_capture: "amount" },
    },
  ],
  schemas: {
    CapturePayment(schema) {
      const properties = { ...(schema.properties as Json) };
      const renamed = properties.amount_to_capture;
      delete properties.amount_to_capture;
      if (renamed !== undefined) properties.amount = renamed;
      return { ...schema, properties };
    },
  },
};
