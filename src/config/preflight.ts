/**
 * Preflight: the checks that touch the machine, kept apart from validation. Commands on PATH or
 * absolute, scripts, env files, work and log directories, users and groups.
 *
 * @module
 */
import type { Command, Service, Stack } from "../domain/mod.ts";

/** One preflight finding, by service and field. */
export interface PreflightIssue {
  readonly service: string;
  readonly field: string;
  readonly message: string;
}

/** Finds an executable on PATH (or checks an explicit path). */
export async function which(
  name: string,
  path = Deno.env.get("PATH") ?? "",
): Promise<string | undefined> {
  const candidates = name.includes("/")
    ? [name]
    : path.split(":").filter(Boolean).map((d) => `${d}/${name}`);
  for (const candidate of candidates) {
    try {
      const info = await Deno.stat(candidate);
      if (info.isFile && info.mode !== null && (info.mode & 0o111) !== 0) return candidate;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

async function exists(path: string, kind: "file" | "dir"): Promise<boolean> {
  try {
    const info = await Deno.stat(path);
    return kind === "file" ? info.isFile : info.isDirectory;
  } catch {
    return false;
  }
}

/** Reads `name:x:uid:gid:...` lines of /etc/passwd or /etc/group into name -> [id, primary gid]. */
export async function readIdFile(path: string): Promise<Map<string, [number, number]>> {
  const out = new Map<string, [number, number]>();
  try {
    for (const line of (await Deno.readTextFile(path)).split("\n")) {
      const [name, , id, gid] = line.split(":");
      if (name && id !== undefined) out.set(name, [Number(id), Number(gid)]);
    }
  } catch {
    // no such file: nothing is known
  }
  return out;
}

/** Characters that make a string command more than a program and its arguments. */
const SHELL_SYNTAX = /[|&;<>()$`\\"'*?[\]{}#~\n]/;

/** Words the shell runs itself (builtins and keywords): no program to look for. */
const SHELL_WORDS = new Set([
  ...[".", ":", "!", "alias", "bg", "break", "cd", "command", "continue", "echo", "eval", "exec"],
  ...["exit", "export", "false", "fg", "getopts", "hash", "jobs", "kill", "local", "printf", "pwd"],
  ...["read", "readonly", "return", "set", "shift", "source", "test", "times", "trap", "true"],
  ...["type", "ulimit", "umask", "unalias", "unset", "wait", "if", "then", "else", "elif", "fi"],
  ...["for", "while", "until", "do", "done", "case", "esac", "in", "function", "select", "time"],
]);

/**
 * The program a command runs: a list's first item, or the first word of a string command that is a
 * simple command (no quotes, expansions, redirections, pipes or lists; not a builtin or an
 * assignment). Undefined when only the shell can tell.
 *
 * @example
 * ```ts
 * import { programOf } from "./preflight.ts";
 * programOf({ shell: "/app/migrate --x" }); // "/app/migrate"
 * programOf({ shell: "cd /app && ./run" }); // undefined
 * ```
 */
export function programOf(command: Command): string | undefined {
  if ("exec" in command) return command.exec[0];
  const text = command.shell.trim();
  if (text === "" || SHELL_SYNTAX.test(text)) return undefined;
  const first = text.split(/\s+/)[0];
  return first.includes("=") || SHELL_WORDS.has(first) ? undefined : first;
}

/**
 * The machine's answers, asked once per preflight: a hundred services that run `sleep` in one
 * directory look `sleep` up and stat the directory once (each miss on PATH is a failed stat).
 */
class Lookups {
  readonly #programs = new Map<string, Promise<string | undefined>>();
  readonly #paths = new Map<string, Promise<boolean>>();
  which(name: string): Promise<string | undefined> {
    let found = this.#programs.get(name);
    if (!found) this.#programs.set(name, found = which(name));
    return found;
  }
  exists(path: string, kind: "file" | "dir"): Promise<boolean> {
    const key = `${kind}\0${path}`;
    let found = this.#paths.get(key);
    if (!found) this.#paths.set(key, found = exists(path, kind));
    return found;
  }
}

async function checkCommand(
  command: Command,
  workdir: string,
  field: string,
  service: string,
  issues: PreflightIssue[],
  lookups: Lookups,
): Promise<void> {
  const program = programOf(command) ?? "sh";
  const resolved = program.startsWith("./") || program.startsWith("../")
    ? `${workdir}/${program}`
    : program;
  if (!(await lookups.which(resolved))) {
    issues.push({
      service,
      field,
      message: program.includes("/")
        ? `"${program}" does not exist or is not executable`
        : `"${program}" is not on PATH`,
    });
  }
}

/** Runs every preflight check of a stack's enabled process services. */
export async function preflight(stack: Stack): Promise<PreflightIssue[]> {
  const issues: PreflightIssue[] = [];
  const users = await readIdFile("/etc/passwd");
  const groups = await readIdFile("/etc/group");
  const lookups = new Lookups();
  const check = async (svc: Service) => {
    if (!svc.enabled) return;
    for (const file of svc.envFiles) {
      if (!(await lookups.exists(file, "file"))) {
        issues.push({ service: svc.name, field: "envFromFile", message: `${file} does not exist` });
      }
    }
    if (svc.runtime !== "process") return;
    if (!(await lookups.exists(svc.workdir, "dir"))) {
      issues.push({
        service: svc.name,
        field: "workdir",
        message: `${svc.workdir} is not a directory`,
      });
    }
    const command = (c: Command, field: string) =>
      checkCommand(c, svc.workdir, field, svc.name, issues, lookups);
    if (svc.command) await command(svc.command, "command");
    if (svc.preScript) await command(svc.preScript.command, "preScript");
    if (svc.postScript) await command(svc.postScript.command, "postScript");
    if (svc.tty && !(await lookups.which("script"))) {
      issues.push({
        service: svc.name,
        field: "tty",
        message: "a terminal for a process needs `script` (util-linux), which is not on PATH",
      });
    }
    if (svc.logFile) {
      const dir = svc.logFile.slice(0, svc.logFile.lastIndexOf("/")) || "/";
      if (!(await lookups.exists(dir, "dir"))) {
        issues.push({
          service: svc.name,
          field: "logFile",
          message: `directory ${dir} does not exist`,
        });
      }
    }
    if (svc.user !== undefined && !/^\d+$/.test(svc.user) && !users.has(svc.user)) {
      issues.push({
        service: svc.name,
        field: "user",
        message: `user "${svc.user}" does not exist`,
      });
    }
    if (svc.group !== undefined && !/^\d+$/.test(svc.group) && !groups.has(svc.group)) {
      issues.push({
        service: svc.name,
        field: "group",
        message: `group "${svc.group}" does not exist`,
      });
    }
  };
  await Promise.all(Object.values(stack.services).map(check));
  const order = Object.keys(stack.services);
  return issues.sort((a, b) => order.indexOf(a.service) - order.indexOf(b.service));
}
