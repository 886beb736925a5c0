// Starts one build's platform through its driver (platform-driver.mjs, run in the build's own
// worktree with its own tsx and launcher) and stops it again, leaving nothing behind: the driver
// stops the launcher's process group; if it does not, the group and the driver are killed.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const driverScript = fileURLToPath(new URL("./platform-driver.mjs", import.meta.url));

export interface RunningBuild {
  routerUrl: string;
  adminUrl: string;
  partnerId: string;
  apiKey: string;
  cell: string;
  /** The build's launcher process group: every platform process is in it or descends from it. */
  launcherPgid: number;
  driverPid: number;
  startSeconds: number;
  stop(): Promise<void>;
}

export async function startBuildPlatform(
  root: string,
  cellsFile: string,
  cellId: string,
  env: Record<string, string> = {},
): Promise<RunningBuild> {
  const started = performance.now();
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", driverScript, root, cellsFile, cellId],
    {
      cwd: root,
      stdio: ["pipe", "pipe", "pipe"],
      env: {
        ...process.env,
        LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
        // The dense loop is one partner; a build with the card-testing pause must not trip it.
        CARD_TESTING_MAX_DECLINES: "1000000",
        ...env,
      },
    },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const tail: string[] = [];
  let pgid: number | undefined;
  const ready = await new Promise<Omit<RunningBuild, "stop" | "startSeconds">>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n")) {
        if (line.startsWith("AB_READY ")) {
          const info = JSON.parse(line.slice(9)) as Omit<RunningBuild, "stop" | "startSeconds">;
          pgid = info.launcherPgid;
          resolve(info);
        } else if (line.trim()) {
          tail.push(line);
          if (tail.length > 40) tail.shift();
        }
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    void exited.then(() => reject(new Error(`platform driver in ${root} exited:\n${tail.join("\n")}`)));
    setTimeout(
      () => reject(new Error(`platform in ${root} not up after 240 s:\n${tail.join("\n")}`)),
      240_000,
    ).unref();
  }).catch(async (err: unknown) => {
    await stopDriver(child, exited, pgid);
    throw err;
  });
  return {
    ...ready,
    startSeconds: (performance.now() - started) / 1000,
    stop: () => stopDriver(child, exited, ready.launcherPgid),
  };
}

async function stopDriver(
  child: ChildProcess,
  exited: Promise<void>,
  pgid: number | undefined,
): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  const timer = setTimeout(() => {
    // The launcher gives each process 15 s; far past that, nothing is worth waiting for.
    if (pgid !== undefined) {
      try {
        process.kill(-pgid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    child.kill("SIGKILL");
  }, 90_000);
  await exited;
  clearTimeout(timer);
  // The driver exits once the launcher exited; a straggler in its group is killed, not left.
  if (pgid !== undefined) {
    try {
      process.kill(-pgid, 0);
      await new Promise((r) => setTimeout(r, 2000));
      process.kill(-pgid, "SIGKILL");
    } catch {
      // the group is empty
    }
  }
}
