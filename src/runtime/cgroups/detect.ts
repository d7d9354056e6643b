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
import { OrchError } from "../../domain/mod.ts";

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

/** The directories of `setup` (project directory, then the shared `orch/`), for removal. */
export function setupDirs(setup: CgroupSetup): string[] {
  const dirs: string[] = [];
  for (const h of new Set([setup.track, setup.cpuacct, ...Object.values(setup.limits)])) {
    if (h && typeof h !== "string") dirs.push(h.base, h.parent);
  }
  return dirs;
}

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

/**
 * Moves one real process into a probe cgroup of each base, in one spawn; per base, the error when
 * that failed.
 */
async function canJoin(bases: readonly string[], run: string): Promise<Map<string, string>> {
  const problems = new Map<string, string>();
  const probes = new Map<string, string>();
  for (const base of bases) {
    const problem = mkdirs(`${base}/probe@${run}`);
    if (problem) problems.set(base, problem);
    else probes.set(`${base}/probe@${run}`, base);
  }
  if (probes.size === 0) return problems;
  try {
    const out = await new Deno.Command("sh", {
      args: [
        "-c",
        'exec 2>&1; for d; do if echo $$ >"$d/cgroup.procs"; then echo "ok $d"; fi; done',
        "sh",
        ...probes.keys(),
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
      clearEnv: true,
      env: { PATH: "/usr/bin:/bin" },
    }).output();
    const lines = new TextDecoder().decode(out.stdout).split("\n");
    for (const [probe, base] of probes) {
      if (lines.includes(`ok ${probe}`)) continue;
      const said = lines.find((l) => l.includes(`${probe}/`))?.replace(/^sh: \d+: /, "");
      problems.set(base, `cannot move a process into ${probe}: ${said ?? "refused"}`);
    }
  } catch (error) {
    for (const base of probes.values()) problems.set(base, `cannot run sh: ${why(error)}`);
  } finally {
    for (const probe of probes.keys()) removeEmpty(probe);
  }
  return problems;
}

/**
 * Decides the containment of this run for `project` (its short hash), trying what `choice` allows:
 * `auto` takes cgroup v2 with `cgroup.kill`, else v1 `freezer` (or `pids`), else markers. The
 * hierarchies for limits are prepared too (one probe process for all of them).
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
  const label = (m: Mount) =>
    m.version === 2 ? "cgroup v2" : `cgroup v1 ${m.controllers.join(",")}`;
  /** Makes the project's directory in each hierarchy and checks a process can be moved there. */
  const prepare = async (list: readonly (Mount | undefined)[]): Promise<void> => {
    const fresh = [...new Set(list)].filter((m): m is Mount => m !== undefined && !tried.has(m));
    const ready: Mount[] = [];
    for (const m of fresh) {
      const base = `${m.own}/orch/${projectHash}`;
      const problem = !m.writable
        ? `${m.mountPoint} is mounted read-only`
        : !existsFile(`${m.own}/cgroup.procs`)
        ? `${m.own} is not a cgroup`
        : mkdirs(base);
      if (problem) fail(m, problem);
      else ready.push(m);
    }
    const joined = await canJoin(ready.map((m) => `${m.own}/orch/${projectHash}`), run);
    for (const m of ready) {
      const parent = `${m.own}/orch`;
      const base = `${parent}/${projectHash}`;
      const problem = joined.get(base) ??
        (m.version === 2 && !existsFile(`${base}/cgroup.kill`)
          ? "no cgroup.kill (Linux 5.14 or later)"
          : undefined);
      if (problem) fail(m, problem);
      else {
        const controllers = m.version === 2 ? enableV2([parent, base]) : new Set(m.controllers);
        tried.set(m, { version: m.version, controllers, parent, base });
      }
    }
  };
  const fail = (m: Mount, problem: string) => {
    const text = `${label(m)}: ${problem}`;
    problems.push(text);
    tried.set(m, text);
    for (const dir of [`${m.own}/orch/${projectHash}`, `${m.own}/orch`]) removeEmpty(dir);
  };
  const got = (m: Mount | undefined) => {
    const h = m && tried.get(m);
    return typeof h === "string" ? undefined : h;
  };
  const v2 = mounts.find((m) => m.version === 2);
  const v1 = (controller: string) =>
    mounts.find((m) => m.version === 1 && m.controllers.includes(controller));
  const tracker1 = v1("freezer") ?? v1("pids");
  const useV2 = (choice === "auto" || choice === "cgroup2") && v2 !== undefined;
  const useV1 = choice === "auto" || choice === "cgroup1";
  // What v2 hands down to orch's cgroup: the limits it cannot give come from v1, if mounted.
  const delegated = useV2 ? words(readText(`${v2!.own}/cgroup.subtree_control`)) : new Set();
  const limitMounts = (["memory", "cpus", "pids"] as const)
    .filter((l) => !delegated.has(CONTROLLER[l])).map((l) => v1(CONTROLLER[l]));
  if (choice !== "marker") {
    await prepare([
      useV2 ? v2 : useV1 ? tracker1 : undefined,
      ...limitMounts,
      !useV2 && useV1 ? v1("cpuacct") : undefined,
    ]);
  }
  let track = useV2 ? got(v2) : undefined;
  let mode: ContainmentMode = track ? "cgroup2" : "marker";
  if (!useV2 && (choice === "auto" || choice === "cgroup2")) {
    problems.push("cgroup v2: not mounted");
  }
  if (!track && useV1) {
    if (tracker1) {
      await prepare([tracker1, v1("cpuacct")]);
      track = got(tracker1);
      if (track) mode = "cgroup1";
    } else problems.push("cgroup v1: neither freezer nor pids is mounted");
  }
  const limits = {} as Record<Limit, Hierarchy | string>;
  for (const limit of ["memory", "cpus", "pids"] as const) {
    const controller = CONTROLLER[limit];
    const mount = v1(controller);
    if (!track) {
      limits[limit] = choice === "marker"
        ? "containment is set to marker (ORCH_CONTAINMENT)"
        : `orch cannot create cgroups here (${problems.join("; ") || "none mounted"})`;
    } else if (track.controllers.has(controller)) {
      limits[limit] = track;
    } else if (mount) {
      if (!tried.has(mount)) await prepare([mount]);
      limits[limit] = tried.get(mount)!;
    } else {
      limits[limit] =
        `the ${controller} controller is neither delegated to orch on cgroup v2 nor mounted as v1`;
    }
  }
  const cpuacct = track && !existsFile(`${track.base}/cpu.stat`) ? got(v1("cpuacct")) : undefined;
  // Hierarchies prepared but not used (v1 ones when v2 turned out to have the controller).
  const used = new Set([track, cpuacct, ...Object.values(limits)]);
  for (const h of tried.values()) {
    if (typeof h !== "string" && !used.has(h)) {
      for (const d of [h.base, h.parent]) removeEmpty(d);
    }
  }
  const summary = track
    ? `${mode === "cgroup2" ? "cgroup v2" : "cgroup v1"} under ${track.base}`
    : choice === "marker"
    ? "process groups and the ORCH_UNIT marker (ORCH_CONTAINMENT=marker)"
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
