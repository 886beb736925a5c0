// The admin CLI: `npm run admin -- <command> [subcommand] [args] [--json]`. Every file in
// commands/ exports one command; this file only finds it, runs it, and prints errors.
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { AdminApiError, createAdminClient } from "./admin-client.ts";
import { option, parseArgs, UsageError } from "./args.ts";
import type { CliCommand } from "./command.ts";

const commandsDir = fileURLToPath(new URL("./commands/", import.meta.url));

async function loadCommands(): Promise<CliCommand[]> {
  const files = readdirSync(commandsDir).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"));
  const modules = await Promise.all(
    files.map((f) => import(new URL(`./commands/${f}`, import.meta.url).href)),
  );
  return modules.map((m: { command: CliCommand }) => m.command).sort((a, b) => a.name.localeCompare(b.name));
}

function help(commands: CliCommand[]): string {
  const lines = ["usage: npm run admin -- <command> [args] [--json]", ""];
  for (const c of commands) {
    lines.push(`${c.name}: ${c.summary}`);
    for (const s of Object.values(c.subcommands)) lines.push(`  ${s.usage.padEnd(80)} ${s.summary}`);
  }
  lines.push(
    "",
    '--reason "…": why, for destructive changes (state, drain, move, suspend, live key, re-pointing a cell)',
    "token: CELLPAY_ADMIN_TOKEN, or --token-file <file> (default .data/admin-token); never on the command line",
    "env: CELLPAY_ADMIN_URL (default http://127.0.0.1:17000)",
  );
  return lines.join("\n");
}

async function main(argv: string[]): Promise<number> {
  const commands = await loadCommands();
  const args = parseArgs(argv);
  if (args.options.has("token")) {
    console.error(
      "--token is not accepted (it would be kept in shell history): use --token-file or CELLPAY_ADMIN_TOKEN",
    );
    return 2;
  }
  const name = args.positionals[0];
  const command = commands.find((c) => c.name === name);
  if (!command || args.flags.has("help")) {
    console.log(help(commands));
    return command || name === undefined || args.flags.has("help") ? 0 : 2;
  }
  const named = command.subcommands[args.positionals[1] ?? ""];
  const sub = named ?? command.subcommands[""];
  if (!sub) {
    console.error(`unknown: ${command.name} ${args.positionals[1] ?? ""}\n\n${help([command])}`);
    return 2;
  }
  // Subcommands see only their own arguments: positional 0 is the first one after the words.
  args.positionals.splice(0, named && args.positionals[1] !== undefined ? 2 : 1);
  try {
    await sub.run({
      api: createAdminClient(process.env, {
        tokenFile: option(args, "token-file"),
        reason: option(args, "reason"),
      }),
      args,
      json: args.flags.has("json"),
      print: (t) => console.log(t),
    });
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`${err.message}\nusage: npm run admin -- ${sub.usage}`);
      return 2;
    }
    if (err instanceof AdminApiError) {
      const e = err.body.error;
      console.error(
        `error ${err.status} ${e?.code ?? ""}: ${err.message}${e?.param ? ` (param: ${e.param})` : ""}`,
      );
      return 1;
    }
    console.error(`error: ${(err as Error).message}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
