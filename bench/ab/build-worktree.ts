// A build under test checked out in its own temporary git worktree (detached at a commit), so
// each build runs its OWN launcher and processes, and gets a fresh .data/ that no other run shares.
// node_modules is reused from this checkout when the build's lockfile asks for nothing it lacks
// (the same lockfile, or a subset at the same versions); otherwise `npm ci` installs the build's own.
import { execFile } from "node:child_process";
import { chmod, mkdir, readFile, rm, symlink } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

export interface BuildWorktree {
  /** "baseline" or "current". */
  name: string;
  /** What was asked for (a ref), and the commit it is. */
  ref: string;
  commit: string;
  subject: string;
  root: string;
  /** How node_modules was provided. */
  modules: "shared (same lockfile)" | "shared (lockfile is a subset)" | "npm ci";
}

async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync("git", args, { cwd, maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

type LockPackages = Record<string, { version?: string; resolved?: string }>;

/** True when every package the build's lockfile pins is in ours at the same version. */
export function lockIsSubset(theirs: LockPackages, ours: LockPackages): boolean {
  for (const [path, pkg] of Object.entries(theirs)) {
    if (path === "") continue; // the root project itself
    const mine = ours[path];
    if (!mine || mine.version !== pkg.version) return false;
  }
  return true;
}

export async function addBuildWorktree(
  repoRoot: string,
  parentDir: string,
  name: string,
  ref: string,
): Promise<BuildWorktree> {
  const commit = await git(repoRoot, "rev-parse", "--verify", `${ref}^{commit}`);
  const subject = await git(repoRoot, "log", "-1", "--format=%s", commit);
  const root = join(parentDir, name);
  await git(repoRoot, "worktree", "add", "--detach", root, commit);
  // Postgres runs as the postgres user and must traverse to its data directory under .data/.
  await chmod(root, 0o755);
  const ourLock = await readFile(join(repoRoot, "package-lock.json"), "utf8");
  const theirLock = await readFile(join(root, "package-lock.json"), "utf8");
  let modules: BuildWorktree["modules"];
  if (ourLock === theirLock) modules = "shared (same lockfile)";
  else if (
    lockIsSubset(
      (JSON.parse(theirLock) as { packages: LockPackages }).packages,
      (JSON.parse(ourLock) as { packages: LockPackages }).packages,
    )
  )
    modules = "shared (lockfile is a subset)";
  else modules = "npm ci";
  if (modules === "npm ci") {
    console.log(`  ${name}: its package-lock.json differs from ours; npm ci in ${root}…`);
    await execFileAsync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: root, maxBuffer: 64 * 1024 * 1024 });
  } else {
    await symlink(join(repoRoot, "node_modules"), join(root, "node_modules"), "dir");
  }
  await mkdir(join(root, ".data"), { recursive: true });
  return { name, ref, commit, subject, root, modules };
}

/** Removes the worktree, its .data/ and its git bookkeeping; never throws (it runs in cleanup). */
export async function removeBuildWorktree(repoRoot: string, build: { root: string }): Promise<void> {
  await git(repoRoot, "worktree", "remove", "--force", "--force", build.root).catch(() => {});
  await rm(build.root, { recursive: true, force: true }).catch(() => {});
  await git(repoRoot, "worktree", "prune").catch(() => {});
}

/** Tracked files changed but not committed: the current build is HEAD, so they are not measured. */
export async function uncommittedChanges(repoRoot: string): Promise<string[]> {
  const out = await git(repoRoot, "status", "--porcelain", "--untracked-files=no");
  return out ? out.split("\n") : [];
}
