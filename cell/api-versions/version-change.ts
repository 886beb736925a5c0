// What one version change is: a small module saying what changed (for the changelog) and how to
// move a request, an API object and the OpenAPI document across the one version boundary it
// introduces. Business code knows only the newest shape; version-chain.ts walks these modules.
import type { ApiVersion } from "../../shared/api-versions.ts";

export type Json = Record<string, unknown>;

/** Moves an object of one `object` type across this change. */
export interface ObjectTransform {
  /**
   * Newest side → the shape before this change. Called only for versions older than the change.
   * Must leave an object that is already in the old shape as it is.
   */
  down(obj: Json): Json;
  /**
   * The shape before this change → newest side. Stored objects written before the change
   * (events, idempotent replays, cached bodies) are lifted with it before being rendered, so it
   * must recognise the old shape and leave anything else untouched.
   */
  up(obj: Json): Json;
}

/** Lifts a request body written against the older version to the newer one. */
export interface RequestTransform {
  method: "POST";
  /** Hono's template syntax, e.g. `/v1/payments/:id/capture`. */
  path: string;
  up(body: Json): Json;
  /**
   * Newest field name → the name this version's request used, so an error about a lifted field
   * names the field the partner sent (`param` and the message).
   */
  paramNames?: Record<string, string>;
}

/** Edits of the generated OpenAPI document's component schemas, to show the older shape. */
export type SchemaEdit = (schema: Json) => Json;

export interface VersionChange {
  /** The version that introduced it: partners on an older version see the shape before it. */
  version: ApiVersion;
  /** A stable name, for the changelog. */
  name: string;
  /** One or two sentences for the changelog: what a partner upgrading must change. */
  description: string;
  /** By the API object's `object` field (payment, refund…). */
  objects?: Record<string, ObjectTransform>;
  requests?: RequestTransform[];
  /** By component schema name (`Payment`, `CapturePayment`…). */
  schemas?: Record<string, SchemaEdit>;
}
