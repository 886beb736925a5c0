// NATS identities of the platform: one NKey per role (the seed stays in a 0600 file beside the
// server's data; the server's config holds only public keys) and the subjects each role may use.
// Two kinds of server: the control plane's (routing deltas) and each cell's (events, JetStream).
// The "operator" role is the launcher's own (readiness probes, test observers); no service holds it.
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { nkeys } from "nats";
import { deadLetterStream, eventsStream } from "../cell/events/streams.ts";

/** Subjects a user may publish to and subscribe to (allow lists; everything else is denied). */
export interface NatsPermissions {
  publish: string[];
  subscribe: string[];
}

export interface NatsUser {
  role: string;
  /** The NKey seed (secret): what the client signs the server's nonce with. */
  seed: string;
  publicKey: string;
  /** The 0600 file holding the seed, for processes given NATS_NKEY_SEED_FILE. */
  seedFile: string;
  permissions: NatsPermissions;
}

export type GlobalNatsRole = "control-plane" | "router" | "operator";
export type CellNatsRole = "relay" | "processor" | "operator";

/** Replies of requests (JetStream API calls, publish acks) come back on the client's inbox. */
const INBOX = "_INBOX.>";
const OPERATOR: NatsPermissions = { publish: [">"], subscribe: [">"] };

/** The control plane's NATS: only the control plane publishes routing; routers only listen. */
export function globalNatsPermissions(): Record<GlobalNatsRole, NatsPermissions> {
  return {
    "control-plane": { publish: ["cellpay.routing.>"], subscribe: [INBOX] },
    router: { publish: [], subscribe: ["cellpay.routing.>", INBOX] },
    operator: OPERATOR,
  };
}

/**
 * A cell's NATS. The relay publishes the cell's events and keeps the two streams' configuration;
 * processors read the events stream through their durable consumers (create/update, info, pull,
 * ack) and may publish nothing but dead letters. Each subject here was found needed by running
 * the real relay and processors (test/security/nats-auth.test.ts checks the refusals).
 */
export function cellNatsPermissions(cellId: string): Record<CellNatsRole, NatsPermissions> {
  const events = eventsStream(cellId);
  const dead = deadLetterStream(cellId);
  const api = "$JS.API";
  return {
    relay: {
      publish: [
        `cell.${cellId}.events.>`,
        `${api}.INFO`,
        ...[events, dead].flatMap((s) => [`${api}.STREAM.INFO.${s}`, `${api}.STREAM.CREATE.${s}`]),
        ...[events, dead].map((s) => `${api}.STREAM.UPDATE.${s}`),
      ],
      subscribe: [INBOX],
    },
    processor: {
      publish: [
        `cell.${cellId}.dead.>`,
        `${api}.INFO`,
        `${api}.STREAM.INFO.${events}`,
        `${api}.STREAM.INFO.${dead}`,
        `${api}.CONSUMER.CREATE.${events}`,
        `${api}.CONSUMER.CREATE.${events}.>`,
        `${api}.CONSUMER.DURABLE.CREATE.${events}.*`,
        `${api}.CONSUMER.INFO.${events}.*`,
        `${api}.CONSUMER.MSG.NEXT.${events}.*`,
        `$JS.ACK.${events}.>`,
      ],
      subscribe: [INBOX],
    },
    operator: OPERATOR,
  };
}

/**
 * The users of one server, made once under `dir` (seeds in `<role>.nk`, 0600) and read back on
 * every later start, so restarted processes keep their credentials.
 */
export async function ensureNatsUsers<R extends string>(
  dir: string,
  permissions: Record<R, NatsPermissions>,
): Promise<Record<R, NatsUser>> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const users = {} as Record<R, NatsUser>;
  for (const role of Object.keys(permissions) as R[]) {
    const seedFile = join(dir, `${role}.nk`);
    if (!existsSync(seedFile)) {
      const seed = new TextDecoder().decode(nkeys.createUser().getSeed());
      await writeFile(seedFile, `${seed}\n`, { mode: 0o600, flag: "wx" });
    }
    await chmod(seedFile, 0o600);
    const seed = (await readFile(seedFile, "utf8")).trim();
    const publicKey = nkeys.fromSeed(new TextEncoder().encode(seed)).getPublicKey();
    users[role] = { role, seed, publicKey, seedFile, permissions: permissions[role] };
  }
  return users;
}

/** Server-side TLS: the certificate the server presents, and the CA it verifies clients with. */
export interface NatsServerTls {
  certFile: string;
  keyFile: string;
  /** With a CA file, clients must present a certificate it signed (mutual TLS). */
  caFile?: string;
}

/** The nats-server configuration: authorization by NKey with each user's permissions, and TLS. */
export function natsServerConfig(users: readonly NatsUser[], tls?: NatsServerTls): string {
  const list = (subjects: string[]) => `[${subjects.map((s) => JSON.stringify(s)).join(", ")}]`;
  const entry = (u: NatsUser) =>
    [
      `    {`,
      `      # ${u.role}`,
      `      nkey: ${JSON.stringify(u.publicKey)}`,
      `      permissions: {`,
      // An empty allow list would mean "no restriction" to nats-server: deny everything instead.
      u.permissions.publish.length > 0
        ? `        publish: { allow: ${list(u.permissions.publish)} }`
        : `        publish: { deny: [">"] }`,
      u.permissions.subscribe.length > 0
        ? `        subscribe: { allow: ${list(u.permissions.subscribe)} }`
        : `        subscribe: { deny: [">"] }`,
      `      }`,
      `    }`,
    ].join("\n");
  const lines = [
    "# Generated by platform/nats-credentials.ts at every start; edit the permissions there.",
    "authorization {",
    "  users: [",
    users.map(entry).join(",\n"),
    "  ]",
    "}",
  ];
  if (tls) {
    lines.push(
      "tls {",
      `  cert_file: ${JSON.stringify(tls.certFile)}`,
      `  key_file: ${JSON.stringify(tls.keyFile)}`,
      ...(tls.caFile ? [`  ca_file: ${JSON.stringify(tls.caFile)}`, "  verify: true"] : []),
      "}",
    );
  }
  return `${lines.join("\n")}\n`;
}
