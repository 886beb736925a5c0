// Free text a partner can store (descriptions, references, metadata, holder names) must not hold
// a card number: the refinement below refuses it at the edge, as a 400 card_number_in_free_text
// naming the field, before anything is stored or logged. The message never repeats the value.
import type { z } from "@hono/zod-openapi";
import { containsCardNumber } from "../../vault/pan-detector.ts";

const code = "card_number_in_free_text";
const message = "must not contain a card number; send card data only in the card fields.";

/**
 * Adds the card-number check to a string schema (keeps its type, limits and OpenAPI). With
 * `percentEncoded` (URLs) the decoded text is checked too, so `4242%204242…` does not slip by.
 */
export function freeText<T extends z.ZodString>(schema: T, opts: { percentEncoded?: boolean } = {}): T {
  return schema.superRefine((value, ctx) => {
    if (containsCardNumber(value) || (opts.percentEncoded && containsCardNumber(percentDecoded(value)))) {
      ctx.addIssue({ code: "custom", message, params: { code } });
    }
  }) as T;
}

function percentDecoded(value: string): string {
  // Run by run, so one malformed escape does not stop the rest from being decoded.
  return value
    .replace(/(%[0-9A-Fa-f]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    })
    .replace(/\+/g, " ");
}

/**
 * Checks metadata keys and values. A value's issue names `metadata.<key>` (the key is known to be
 * clean then); a key's issue names only `metadata`, since the key itself is what must not be echoed.
 */
export function checkMetadata(metadata: Record<string, string>, ctx: z.RefinementCtx): void {
  for (const [key, value] of Object.entries(metadata)) {
    if (containsCardNumber(key)) {
      ctx.addIssue({ code: "custom", message: `a key ${message}`, params: { code }, path: [] });
      return;
    }
    if (containsCardNumber(value)) {
      ctx.addIssue({ code: "custom", message, params: { code }, path: [key] });
      return;
    }
  }
}
