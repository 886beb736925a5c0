// The one place an event payload passes through the version chain: a webhook delivery renders
// the stored event (newest shape) in its endpoint's API version before signing it.
import { isApiVersion, ORIGINAL_API_VERSION } from "../../shared/api-versions.ts";
import type { EventEnvelope } from "../events/envelope.ts";
import { createVersionChain } from "./version-chain.ts";

// The chain is pure data built from the fixed list of changes: one per process is enough.
const chain = createVersionChain();

export function renderEventFor(envelope: EventEnvelope, apiVersion: string): EventEnvelope {
  const version = isApiVersion(apiVersion) ? apiVersion : ORIGINAL_API_VERSION;
  return { ...envelope, data: chain.render(envelope.data, version) };
}
