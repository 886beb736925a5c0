// Partner webhook endpoints: create (URL checked against SSRF, secret generated and stored sealed),
// roll the secret with an overlap, disable. Secrets leave this module only in the one response
// that creates them.
import { ApiError, invalidRequest, notFound } from "../../shared/errors.ts";
import type { Sql } from "../db/client.ts";
import {
  disableEndpoint,
  findEndpoint,
  insertEndpoint,
  rollEndpointSecret,
  updateEndpoint,
  type WebhookEndpointRow,
} from "../db/queries/webhooks.ts";
import type { ModeScope } from "../partners/mode-scope.ts";
import type { Vault } from "../vault/vault.ts";
import { checkWebhookUrl, type EndpointMode, policyFor, type Resolve } from "./ssrf-guard.ts";
import { newEndpointId, newSigningSecret } from "./webhook-ids.ts";

/** Like the best-known gateways: a small cap keeps one event's fan-out bounded. */
export const MAX_ENDPOINTS_PER_PARTNER = 16;
export const MAX_OVERLAP_SECONDS = 7 * 24 * 3600;

export interface EndpointDeps {
  sql: Sql;
  vault: Vault;
  clock: () => Date;
  /** Test-mode endpoints may target private addresses (WEBHOOK_ALLOW_PRIVATE_TARGETS, local only). */
  allowPrivateTargets?: boolean | undefined;
  /** DNS resolution for the SSRF check (tests may pass their own). */
  resolve?: Resolve | undefined;
}

export interface EndpointWithSecret {
  endpoint: WebhookEndpointRow;
  secret: string;
}

export async function createWebhookEndpoint(
  deps: EndpointDeps,
  partner: { partnerId: string; mode: EndpointMode },
  input: {
    url: string;
    enabled_events: string[];
    description?: string | undefined;
    /** Omitted: the original shape (the route passes the partner's pin). */
    api_version?: string | undefined;
  },
): Promise<EndpointWithSecret> {
  const policy = policyFor(partner.mode, deps.allowPrivateTargets ?? false);
  const check = await checkWebhookUrl(input.url, policy, deps.resolve);
  if (!check.ok) {
    throw new ApiError("invalid_webhook_url", `The webhook url ${check.reason}.`, { param: "url" });
  }
  const id = newEndpointId();
  const secret = newSigningSecret();
  const endpoint = await insertEndpoint(
    deps.sql,
    {
      id,
      partner_id: partner.partnerId,
      url: check.url.toString(),
      description: input.description ?? null,
      mode: partner.mode,
      enabled_events: [...new Set(input.enabled_events)],
      // The aad binds the ciphertext to this endpoint: a sealed secret copied elsewhere won't open.
      secret_sealed: deps.vault.seal(secret, id),
      api_version: input.api_version,
    },
    MAX_ENDPOINTS_PER_PARTNER,
  );
  if (!endpoint) {
    throw invalidRequest(
      "url",
      `At most ${MAX_ENDPOINTS_PER_PARTNER} enabled webhook endpoints per account.`,
    );
  }
  return { endpoint, secret };
}

export async function rollWebhookSecret(
  deps: EndpointDeps,
  scope: ModeScope,
  id: string,
  overlapSeconds: number,
): Promise<EndpointWithSecret> {
  const secret = newSigningSecret();
  const expires = overlapSeconds > 0 ? new Date(deps.clock().getTime() + overlapSeconds * 1000) : null;
  const endpoint = await rollEndpointSecret(deps.sql, scope, id, deps.vault.seal(secret, id), expires);
  if (!endpoint) throw notFound("webhook endpoint", id);
  return { endpoint, secret };
}

export async function retrieveWebhookEndpoint(sql: Sql, scope: ModeScope, id: string) {
  const endpoint = await findEndpoint(sql, scope, id);
  if (!endpoint) throw notFound("webhook endpoint", id);
  return endpoint;
}

export async function updateWebhookEndpoint(
  sql: Sql,
  scope: ModeScope,
  id: string,
  change: { api_version?: string | undefined; description?: string | undefined },
) {
  const endpoint = await updateEndpoint(sql, scope, id, change);
  if (!endpoint) throw notFound("webhook endpoint", id);
  return endpoint;
}

/** Disabled, not deleted: its deliveries and attempts stay listable. */
export async function disableWebhookEndpoint(sql: Sql, scope: ModeScope, id: string) {
  const endpoint = await disableEndpoint(sql, scope, id);
  if (!endpoint) throw notFound("webhook endpoint", id);
  return endpoint;
}
