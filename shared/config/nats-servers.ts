// NATS_URL as the platform passes it: one URL, or a comma list of every node of a cluster
// (nats://h1:p1,nats://h2:p2,...). nats.js takes an array, not a comma list, so split it here once.
import { z } from "zod";

export function natsServers(value: string): string[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

export const natsServersEnv = z
  .string()
  .min(1)
  .transform(natsServers)
  .refine((list) => list.length > 0, "one NATS URL, or a comma list of a cluster's URLs");
