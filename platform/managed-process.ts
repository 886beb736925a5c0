// Owns one spawned server process: its output goes to a log file, its exit is a promise,
// and stop() always ends it (signal, grace period, then SIGKILL).
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedProcessOptions {
  name: string;
  command: string;
  args: readonly string[];
  /** stdout and stderr are appended here. */
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Run as this user (PostgreSQL refuses to run as root). */
  uid?: number;
  gid?: number;
  /**
   * Own process group: Ctrl-C (SIGINT to the launcher's group) does not reach it, so it stops only
   * when stop() says, in order (etcd must outlive the Patroni nodes that release their locks in it).
   */
  detached?: boolean;
  /** Signal sent by stop() and by the exit hook when this Node process ends. */
  stopSignal?: NodeJS.Signals;
  /** Called when the process ends without stop() having been called. */
  onUnexpectedExit?: (proc: ManagedProcess, info: ExitInfo) => void;
}

// Children still running when Node exits (a crashed test worker, an uncaught error in
// `npm start`) would otherwise hold their ports and data dirs; tell them to shut down.
const live = new Set<ManagedProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const proc of live) proc.signal(proc.stopSignal);
  });
}

// Set when the launcher is shutting down: Ctrl-C reaches every child of the process group at
// once, so children exiting then are expected, not failures to report.
let platformStopping = false;
export function markPlatformStopping(): void {
  platformStopping = true;
}

export class ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  readonly stopSignal: NodeJS.Signals;
  /** Resolves once the process has exited, however it ended. */
  readonly exited: Promise<ExitInfo>;
  private exitInfo: ExitInfo | undefined;
  private stopping: Promise<ExitInfo> | undefined;

  /** Spawns the process and resolves once the OS has started it (rejects on ENOENT, EACCES…). */
  static start(opts: ManagedProcessOptions): Promise<ManagedProcess> {
    mkdirSync(dirname(opts.logFile), { recursive: true });
    // The child writes straight to the file descriptor: no piping through Node, and the log
    // keeps filling even while our event loop is busy.
    const fd = openSync(opts.logFile, "a");
    try {
      const child = spawn(opts.command, opts.args, {
        cwd: opts.cwd ?? "/",
        env: opts.env ?? process.env,
        stdio: ["ignore", fd, fd],
        ...(opts.detached === true ? { detached: true } : {}),
        ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
        ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
      });
      return new Promise((resolve, reject) => {
        child.once("error", (err) =>
          reject(new Error(`${opts.name}: could not start ${opts.command}: ${err.message}`, { cause: err })),
        );
        child.once("spawn", () => {
          const exited = new Promise<ExitInfo>((res) =>
            child.once("exit", (code, signal) => res({ code, signal })),
          );
          resolve(new ManagedProcess(opts, child.pid!, exited));
        });
      });
    } finally {
      closeSync(fd);
    }
  }

  private constructor(opts: ManagedProcessOptions, pid: number, exited: Promise<ExitInfo>) {
    this.name = opts.name;
    this.pid = pid;
    this.logFile = opts.logFile;
    this.stopSignal = opts.stopSignal ?? "SIGTERM";
    live.add(this);
    installExitHook();
    this.exited = exited.then((info) => {
      this.exitInfo = info;
      live.delete(this);
      if (this.stopping === undefined && !platformStopping) opts.onUnexpectedExit?.(this, info);
      return info;
    });
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /** How it ended, once it has. */
  get exit(): ExitInfo | undefined {
    return this.exitInfo;
  }

  /** Sends a signal without waiting; false if the process is already gone. */
  signal(sig: NodeJS.Signals): boolean {
    if (this.exitInfo !== undefined) return false;
    try {
      process.kill(this.pid, sig);
      return true;
    } catch {
      return false; // ESRCH: exited between our check and the kill
    }
  }

  /** Sends `signal`, waits up to `graceMs`, then SIGKILLs. Safe to call repeatedly. */
  stop(signal: NodeJS.Signals = this.stopSignal, graceMs = 10_000): Promise<ExitInfo> {
    if (this.stopping !== undefined) return this.stopping;
    this.stopping = (async () => {
      if (!this.signal(signal)) return this.exited;
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<"timeout">((r) => {
        timer = setTimeout(() => r("timeout"), graceMs);
      });
      const first = await Promise.race([this.exited, graceOver]);
      clearTimeout(timer);
      if (first !== "timeout") return first;
      console.warn(`${this.name} (pid ${this.pid}) ignored ${signal} for ${graceMs} ms; sending SIGKILL`);
      this.signal("SIGKILL");
      return this.exited;
    })();
    return this.stopping;
  }
}

export function describeExit(info: ExitInfo): string {
  return info.signal !== null ? `killed by ${info.signal}` : `exited with code ${info.code}`;
}
