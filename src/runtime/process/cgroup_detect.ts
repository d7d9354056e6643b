/**
 * Finding out, once per run, where orch may put its services' cgroups: which hierarchies are
 * mounted (cgroup v2, or v1 `freezer`, `pids`, `memory`, `cpu`, `cpuacct`), where orch itself sits in
 * each, and whether it may create a cgroup there and move a process into it (root, or a delegated
 * subtree). A real process is moved into a probe cgroup to be sure: write access to a directory is
 * not enough on cgroup v2, where the common ancestor's `cgroup.procs` must be writable too.
 *
 * Cgroups go under `orch/<project hash>/` in orch's own cgroup of each hierarchy (at the top when orch
 * runs in the root cgroup), so that whatever confines orch (a systemd scope, a container) confines its
 * services too.
 *
 * @module
 */
import { OrchError } from "../../domain/errors.ts";

/** How an instance's processes are tracked. */
export type ContainmentMode = "cgroup2" | "cgroup1" | "marker";

/** What a user may ask for: the best available (`auto`), or a given mode (lower ones for tests). */
export type ContainmentChoice = "auto" | ContainmentMode;

/** Every choice, for errors. */
export const CONTAINMENT_CHOICES: readonly ContainmentChoice[] = [
  "auto",
  "cgroup2",
  "cgroup1",
  "marker",
];

/**
 * Reads `ORCH_CONTAINMENT` (unset or empty: `auto`).
 *
 * @throws {OrchError} when it names no known mode.
 */
export function parseContainment(value: string | undefined): ContainmentChoice {
  const text = (value ?? "").trim();
  if (text === "") return "auto";
  if ((CONTAINMENT_CHOICES as readonly string[]).includes(text)) return text as ContainmentChoice;
  throw new OrchError(
    `ORCH_CONTAINMENT: "${text.slice(0, 40)}" is not one of ${CONTAINMENT_CHOICES.join(", ")}`,
    { exitCode: 2 },
  );
}

/** One mounted cgroup hierarchy as /proc/self/mountinfo and /proc/self/cgroup describe it. */
export interface Mount {
  readonly version: 1 | 2;
  /** v1: the controllers bound to it; v2: empty here (read from `cgroup.controllers`). */
  readonly controllers: readonly string[];
  readonly mountPoint: string;
  readonly writable: boolean;
  /** orch's own cgroup in this hierarchy, as a directory under the mount point. */
  readonly own: string;
}

/** A hierarchy orch may use, with its project directory. */
export interface Hierarchy {
  readonly version: 1 | 2;
  /** v1: the mount's controllers; v2: the controllers available to units (maybe none). */
  readonly controllers: ReadonlySet<string>;
  /** `<own cgroup>/orch`: shared by every project. */
  readonly parent: string;
  /** `<parent>/<project hash>`: this project's units go here. */
  readonly base: string;
}

/** A resource a service may limit, and the controller that limits it. */
export type Limit = "memory" | "cpus" | "pids";
/** The controller of each limit. */
export const CONTROLLER: Readonly<Record<Limit, string>> = {
  memory: "memory",
  cpus: "cpu",
  pids: "pids",
};

/** What containment this run has. */
export interface CgroupSetup {
  readonly mode: ContainmentMode;
  /** One line for a person: what is used, or why cgroups are not. */
  readonly summary: string;
  /** The hierarchy every process of an instance is tracked in (undefined: marker mode). */
  readonly track: Hierarchy | undefined;
  /** Per limit: the hierarchy that applies it, or why none can. */
  readonly limits: Readonly<Record<Limit, Hierarchy | string>>;
  /** v1 `cpuacct`, for CPU time when the tracking hierarchy has no `cpu.stat`. */
  readonly cpuacct: Hierarchy | undefined;
}

function unescapeMount(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal) => String.fromCharCode(parseInt(octal, 8)));
}

/** Parses /proc/self/mountinfo and /proc/self/cgroup into the cgroup hierarchies. Pure. */
export function parseMounts(mountinfo: string, cgroups: string): Mount[] {
  const own = new Map<string, string>();
  for (const line of cgroups.split("\n")) {
    const match = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!match) continue;
    own.set(
      match[1] === "0" && match[2] === "" ? "v2" : match[2].split(",").sort().join(","),
      match[3],
    );
  }
  const mounts: Mount[] = [];
  for (const line of mountinfo.split("\n")) {
    const dash = line.indexOf(" - ");
    if (dash < 0) continue;
    const fields = line.slice(0, dash).split(" ");
    const [fsType, , superOptions = ""] = line.slice(dash + 3).split(" ");
    if (fsType !== "cgroup" && fsType !== "cgroup2") continue;
    const root = unescapeMount(fields[3]);
    const mountPoint = unescapeMount(fields[4]);
    const writable = fields[5]?.split(",").includes("rw") ?? false;
    const version = fsType === "cgroup2" ? 2 : 1;
    const controllers = version === 2
      ? []
      : superOptions.split(",").filter((o) =>
        o !== "rw" && o !== "ro" && !o.includes("=") && !o.startsWith("clone_") &&
        o !== "noprefix" && o !== "xattr" && o !== "cpuset_v2_mode"
      );
    const path = own.get(version === 2 ? "v2" : [...controllers].sort().join(","));
    if (path === undefined || version === 1 && controllers.length === 0) continue;
    // Inside the mount, orch's cgroup is its path minus the mount's root (a bind-mounted subtree).
    const inner = root === "/"
      ? path
      : path.startsWith(`${root}/`) || path === root
      ? path.slice(root.length) || "/"
      : undefined;
    if (inner === undefined) continue;
    mounts.push({
      version,
      controllers,
      mountPoint,
      writable,
      own: `${mountPoint}${inner === "/" ? "" : inner}`,
    });
  }
  return mounts;
}

function readText(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "";
  }
}

function why(error: unknown): string {
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.NotFound) return "no such directory";
  return (error as Error).message.replace(/,? (?:mkdir|open|write) '[^']*'$/, "");
}

function mkdirs(dir: string): string | undefined {
  try {
    Deno.mkdirSync(dir, { recursive: true });
    return undefined;
  } catch (error) {
    return `cannot create ${dir}: ${why(error)}`;
  }
}

const WANTED = ["memory", "pids", "cpu"];

function words(text: string): Set<string> {
  return new Set(text.trim().split(/\s+/).filter(Boolean));
}

/**
 * Turns on, in orch's own directories (`parent`, then `base`), the controllers that orch's cgroup
 * hands down to them; returns those its units may use. orch's own cgroup is left as it is: what it
 * does not delegate (its `cgroup.subtree_control`) is not orch's to take.
 */
function enableV2(dirs: readonly string[]): Set<string> {
  for (const dir of dirs) {
    const available = words(readText(`${dir}/cgroup.controllers`));
    const enabled = words(readText(`${dir}/cgroup.subtree_control`));
    for (const c of WANTED) {
      if (!available.has(c) || enabled.has(c)) continue;
      try {
        Deno.writeTextFileSync(`${dir}/cgroup.subtree_control`, `+${c}`);
      } catch {
        // not possible here (a process in this cgroup, or no permission)
      }
    }
  }
  const last = dirs[dirs.length - 1];
  const enabled = words(readText(`${last}/cgroup.subtree_control`));
  return new Set(WANTED.filter((c) => enabled.has(c)));
}

/** Moves a real process into a probe cgroup of each hierarchy; the error when that fails. */
async function canJoin(bases: readonly string[], run: string): Promise<string | undefined> {
  const probes = bases.map((b) => `${b}/probe@${run}`);
  for (const dir of probes) {
    const problem = mkdirs(dir);
    if (problem) return problem;
  }
  try {
    const out = await new Deno.Command("sh", {
      args: ["-c", 'for d; do echo $$ >"$d/cgroup.procs" || exit 1; done', "sh", ...probes],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
      clearEnv: true,
      env: { PATH: "/usr/bin:/bin" },
    }).output();
    if (!out.success) {
      const text = new TextDecoder().decode(out.stderr).trim().split("\n")[0] ?? "";
      return `cannot move a process into ${probes[0]}: ${
        text.replace(/^sh: \d+: /, "") || `exit ${out.code}`
      }`;
    }
    return undefined;
  } catch (error) {
    return `cannot run sh: ${why(error)}`;
  } finally {
    for (const dir of probes) {
      try {
        Deno.removeSync(dir);
      } catch {
        // the probe process may linger a moment; an empty leftover is removed with the project
      }
    }
  }
}

/**
 * Decides the containment of this run for `project` (its short hash), trying what `choice` allows:
 * `auto` takes cgroup v2 with `cgroup.kill`, else v1 `freezer` (or `pids`), else markers.
 */
export async function detectCgroups(
  projectHash: string,
  run: string,
  choice: ContainmentChoice,
  sources: { mountinfo?: string; cgroups?: string } = {},
): Promise<CgroupSetup> {
  const mounts = parseMounts(
    sources.mountinfo ?? readText("/proc/self/mountinfo"),
    sources.cgroups ?? readText("/proc/self/cgroup"),
  );
  const problems: string[] = [];
  const tried = new Map<Mount, Hierarchy | string>();
  /** Makes the project's directory in a hierarchy and checks a process can be moved there. */
  const prepare = async (mount: Mount): Promise<Hierarchy | string> => {
    const known = tried.get(mount);
    if (known) return known;
    const label = mount.version === 2 ? "cgroup v2" : `cgroup v1 ${mount.controllers.join(",")}`;
    const parent = `${mount.own}/orch`;
    const base = `${parent}/${projectHash}`;
    const problem = !mount.writable
      ? `${mount.mountPoint} is mounted read-only`
      : !existsFile(`${mount.own}/cgroup.procs`)
      ? `${mount.own} is not a cgroup`
      : mkdirs(base) ?? await canJoin([base], run) ??
        (mount.version === 2 && !existsFile(`${base}/cgroup.kill`)
          ? "no cgroup.kill (Linux 5.14 or later)"
          : undefined);
    let result: Hierarchy | string;
    if (problem) {
      result = `${label}: ${problem}`;
      problems.push(result);
      for (const dir of [base, parent]) removeEmpty(dir);
    } else {
      const controllers = mount.version === 2
        ? enableV2([parent, base])
        : new Set(mount.controllers);
      result = { version: mount.version, controllers, parent, base };
    }
    tried.set(mount, result);
    return result;
  };
  const usable = (h: Hierarchy | string | undefined) => typeof h === "string" ? undefined : h;
  const v2 = mounts.find((m) => m.version === 2);
  const v1 = (controller: string) =>
    mounts.find((m) => m.version === 1 && m.controllers.includes(controller));
  let track: Hierarchy | undefined;
  let mode: ContainmentMode = "marker";
  if (choice === "auto" || choice === "cgroup2") {
    if (v2) {
      track = usable(await prepare(v2));
      if (track) mode = "cgroup2";
    } else problems.push("cgroup v2: not mounted");
  }
  if (!track && (choice === "auto" || choice === "cgroup1")) {
    const freezer = v1("freezer") ?? v1("pids");
    if (freezer) {
      track = usable(await prepare(freezer));
      if (track) mode = "cgroup1";
    } else problems.push("cgroup v1: neither freezer nor pids is mounted");
  }
  const limits = {} as Record<Limit, Hierarchy | string>;
  for (const limit of ["memory", "cpus", "pids"] as const) {
    const controller = CONTROLLER[limit];
    if (!track) {
      limits[limit] = choice === "marker"
        ? "containment is set to marker (ORCH_CONTAINMENT)"
        : `orch cannot create cgroups here (${problems.join("; ") || "none mounted"})`;
    } else if (track.controllers.has(controller)) {
      limits[limit] = track;
    } else {
      const mount = v1(controller);
      limits[limit] = mount
        ? await prepare(mount)
        : `the ${controller} controller is neither delegated to orch on cgroup v2 nor mounted as v1`;
    }
  }
  const cpuacctMount = track && !existsFile(`${track.base}/cpu.stat`) ? v1("cpuacct") : undefined;
  const cpuacct = cpuacctMount ? usable(await prepare(cpuacctMount)) : undefined;
  const summary = track
    ? `${mode === "cgroup2" ? "cgroup v2" : "cgroup v1"} under ${track.base}`
    : `process groups and the ORCH_UNIT marker (no cgroups: ${
      problems.join("; ") || "none mounted"
    })`;
  return { mode, summary, track, limits, cpuacct };
}

function removeEmpty(dir: string): void {
  try {
    Deno.removeSync(dir);
  } catch {
    // not there, or in use
  }
}

function existsFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}
