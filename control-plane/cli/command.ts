// What a command file exports: `export const command: CliCommand`. main.ts loads every file in
// commands/, so adding a command (moves, drains, …) is adding a file there.
import type { AdminClient } from "./admin-client.ts";
import type { ParsedArgs } from "./args.ts";

export interface CliContext {
  api: AdminClient;
  args: ParsedArgs;
  /** Raw JSON was asked for (`--json`). */
  json: boolean;
  print(text: string): void;
}

export interface CliSubcommand {
  usage: string;
  summary: string;
  run(ctx: CliContext): Promise<void>;
}

export interface CliCommand {
  /** The first word: `partners`, `cells`, `routing`, … */
  name: string;
  summary: string;
  /** Keyed by the second word; "" for a command that takes none (e.g. `routing`). */
  subcommands: Record<string, CliSubcommand>;
}
