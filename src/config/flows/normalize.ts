/**
 * From one parsed flow (orch's shape) to the frozen {@link Flow}: defaults applied, paths resolved,
 * the task graph built from `dependsOn` and `dag`, and the checks that need the whole flow (unknown
 * tasks, cycles named whole, tasks unreachable from any root, cron, time zones). Checks across
 * flows and against the stack (services, pools, other flows) are in `checks.ts`.
 *
 * @module
 */
import {
  type Command,
  didYouMean,
  type EdgeOn,
  findCycles,
  type Flow,
  type FlowTask,
  type RetryPolicy,
  type Schedule,
  type TaskCondition,
  type TaskEdge,
} from "../../domain/mod.ts";
import { resolvePath } from "../normalize.ts";
import type { FieldPath } from "../source.ts";
import { checkSchedule, checkTimezone } from "./cron.ts";
import { parseDag } from "./dag.ts";
import type { FlowFile, FlowTaskFile } from "./schema.ts";

/** A problem at a path of the flow (relative to it); `offset` moves the column into a value. */
export interface FlowIssue {
  readonly path: FieldPath;
  readonly message: string;
  readonly hint?: string;
  readonly offset?: number;
}

/** What normalizing a flow needs besides its data. */
export interface FlowContext {
  readonly name: string;
  readonly file: string;
  /** Where relative task workdirs start (the stack's directory). */
  readonly baseDir: string;
  /** The condition of a task that names none: `none_failed`, or Petit's `all_success`. */
  readonly defaultCondition: TaskCondition;
  /** For checking that a cron expression fires at all. */
  readonly now?: number;
}

/** Built-in defaults of flows, documented in the README. */
export const FLOW_DEFAULTS = {
  retryDelayMs: 1_000,
  retryFactor: 1,
  retryMaxDelayMs: 3_600_000,
  stopSignal: "SIGTERM",
  stopTimeoutMs: 10_000,
  requireWindowMs: 86_400_000,
} as const;

const FLOW_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const TASK_NAME = /^[^.{}/\\\p{Cc}]+$/u;

function buildCommand(task: FlowTaskFile, report: (m: string) => void): Command {
  if (!task.args) return task.command;
  if ("shell" in task.command) {
    report("args need command to be a list, not a shell string");
    return task.command;
  }
  return { exec: [...task.command.exec, ...task.args] };
}

function normalizeSignal(signal: string): string {
  const upper = signal.toUpperCase();
  return upper.startsWith("SIG") ? upper : `SIG${upper}`;
}

/** Turns one parsed flow into the model, collecting every issue. */
export function normalizeFlow(
  file: FlowFile,
  ctx: FlowContext,
): { flow: Flow; issues: FlowIssue[] } {
  const issues: FlowIssue[] = [];
  const report = (path: FieldPath, message: string, hint?: string, offset?: number) =>
    issues.push({
      path,
      message,
      ...(hint ? { hint } : {}),
      ...(offset ? { offset } : {}),
    });
  if (!FLOW_NAME.test(ctx.name)) {
    report(
      file.name !== undefined ? ["name"] : [],
      `"${ctx.name}" is not a valid flow name (use letters, digits, ".", "-" and "_")`,
    );
  }
  const taskNames = Object.keys(file.tasks);
  if (taskNames.length === 0) report(["tasks"], "a flow needs at least one task");
  const flowDir = resolvePath(ctx.baseDir, file.workdir ?? ".");

  // The graph: dependsOn of each task, then the dag list.
  const upstream = new Map<string, TaskEdge[]>(taskNames.map((n) => [n, []]));
  const addEdge = (from: string, to: string, on: EdgeOn, path: FieldPath) => {
    for (const name of [from, to]) {
      if (!upstream.has(name)) {
        report(
          path,
          `unknown task ${JSON.stringify(name)}`,
          didYouMean(name, taskNames) ?? `tasks: ${taskNames.map((t) => `"${t}"`).join(", ")}`,
        );
        return;
      }
    }
    const list = upstream.get(to)!;
    if (!list.some((e) => e.task === from && e.on === on)) list.push({ task: from, on });
  };
  for (const [name, task] of Object.entries(file.tasks)) {
    (task.dependsOn ?? []).forEach((dep, i) =>
      addEdge(dep.task, name, dep.on ?? "success", ["tasks", name, "dependsOn", i])
    );
  }
  const dag = parseDag(file.dag ?? []);
  for (const problem of dag.problems) report(problem.path, problem.message, problem.hint);
  for (const edge of dag.edges) addEdge(edge.from, edge.to, edge.on, edge.path);

  const tasks: Record<string, FlowTask> = Object.create(null);
  for (const [name, task] of Object.entries(file.tasks)) {
    const at = (...rest: (string | number)[]): FieldPath => ["tasks", name, ...rest];
    if (!TASK_NAME.test(name) || name.trim() !== name) {
      report(
        at(),
        `${JSON.stringify(name)} is not a valid task name (no ".", "/", braces or control ` +
          `characters, no spaces at either end)`,
      );
    }
    const command = buildCommand(task, (m) => report(at("args"), m));
    const runtime = task.runtime ?? (task.image ? "docker" : "process");
    if (runtime === "docker" && !task.image) report(at("image"), "is required for a docker task");
    if (runtime === "process" && task.image) {
      report(at("image"), `is only used by runtime "docker"`, "set runtime: docker");
    }
    const executor = task.executor ?? file.executor ?? "local";
    if (executor === "swarm" && !task.image) {
      report(
        task.executor ? at("executor") : at(),
        `executor swarm runs the task's image as a swarm job${
          task.executor ? "" : " (the flow's executor)"
        }: the task has no image`,
        task.executor ? "give it an image" : "give it an image, or executor: local",
      );
    }
    if (executor === "swarm" && task.workdir !== undefined) {
      report(
        at("workdir"),
        "is a directory of orch's machine: a swarm job runs in its image's working directory",
        "drop it, or cd in the command",
      );
    }
    if (task.timeout !== undefined && task.timeout <= 0) {
      report(at("timeout"), "must be greater than 0");
    }
    const retry: RetryPolicy = {
      attempts: task.retry?.attempts ?? 1,
      delayMs: task.retry?.delay ?? FLOW_DEFAULTS.retryDelayMs,
      factor: task.retry?.factor ?? FLOW_DEFAULTS.retryFactor,
      maxDelayMs: task.retry?.maxDelay ??
        Math.max(FLOW_DEFAULTS.retryMaxDelayMs, task.retry?.delay ?? 0),
      onExitCodes: task.retry?.onExitCodes,
    };
    if (retry.maxDelayMs < retry.delayMs) {
      report(at("retry", "maxDelay"), `must not be less than delay (${retry.delayMs}ms)`);
    }
    const condition = task.condition ?? ctx.defaultCondition;
    const edges = upstream.get(name) ?? [];
    if (
      (condition === "on_failure" || condition === "all_done" || condition === "always") &&
      edges.some((e) => e.on !== "success")
    ) {
      report(
        at("condition"),
        `condition ${condition} looks at every upstream task; the branches of its edges ` +
          `(on: failure, "?:") would be ignored`,
        "use either condition or conditional edges",
      );
    }
    const [user, groupFromUser] = (task.user ?? "").split(":", 2);
    const signal = normalizeSignal(task.stop?.signal ?? FLOW_DEFAULTS.stopSignal);
    tasks[name] = {
      name,
      command,
      runtime,
      image: task.image,
      executor,
      env: { ...file.env, ...task.env },
      workdir: resolvePath(flowDir, task.workdir ?? "."),
      user: user || undefined,
      group: task.group ?? (groupFromUser || undefined),
      timeoutMs: task.timeout,
      stop: { signal, timeoutMs: task.stop?.timeout ?? FLOW_DEFAULTS.stopTimeoutMs },
      retry,
      needs: task.needs ?? [],
      slots: task.slots ?? {},
      upstream: edges,
      condition,
      successCodes: task.successCodes ?? [0],
      resources: task.resources,
    };
  }
  const graphOk = checkGraph(taskNames, upstream, (name) => dagPathOf(file, name), report);
  if (graphOk) checkReferences(tasks, file.config ?? {}, report);

  const schedules: Schedule[] = [];
  (file.schedule ?? []).forEach((text, i) => {
    const result = checkSchedule(text, ctx.now);
    if ("kind" in result) schedules.push(result);
    else report(["schedule", i], result.message, result.hint, result.offset);
  });
  if (file.timezone !== undefined) {
    const problem = checkTimezone(file.timezone);
    if (problem) report(["timezone"], problem.message, problem.hint);
  }
  const catchUp = {
    mode: file.catchUp?.mode ?? "none",
    windowMs: file.catchUp?.window,
  } as const;
  if (catchUp.windowMs !== undefined && catchUp.mode !== "all") {
    report(["catchUp", "window"], `is only used with mode "all"`);
  }
  const overlap = file.overlap ?? "skip";
  const events = [...new Set([...(file.events ?? []), ...(file.eventTrigger ?? [])])];
  // Returned even with issues, so that the checks across flows still run on it.
  return {
    flow: {
      name: ctx.name,
      file: ctx.file,
      description: file.description,
      schedules,
      timezone: file.timezone,
      events,
      after: (file.after ?? []).map((a) => ({ flow: a.flow, on: a.on ?? "success" })),
      onService: file.onService ?? [],
      requires: (file.requires ?? []).map((r) => ({
        flow: r.flow,
        condition: r.condition ?? "last_success",
        windowMs: r.window ?? FLOW_DEFAULTS.requireWindowMs,
      })),
      catchUp,
      overlap,
      maxActiveRuns: file.maxActiveRuns ?? (overlap === "allow" ? Infinity : 1),
      maxConcurrency: file.maxConcurrency ?? Infinity,
      retention: { days: file.retention?.days, count: file.retention?.count },
      config: file.config ?? {},
      tasks,
    },
    issues,
  };
}

/** Where to report a task of the graph: its first dependsOn, else its entry. */
function dagPathOf(file: FlowFile, name: string): FieldPath {
  return file.tasks[name]?.dependsOn?.length ? ["tasks", name, "dependsOn", 0] : ["tasks", name];
}

const REFERENCE = /\$\{(config|tasks)\.([^}]*)\}/g;

/** `${config.KEY}` names a key of `config`; `${tasks.T.KEY}` names a task upstream of this one. */
function checkReferences(
  tasks: Readonly<Record<string, FlowTask>>,
  config: Readonly<Record<string, string>>,
  report: (path: FieldPath, message: string, hint?: string) => void,
): void {
  const ancestors = (name: string): Set<string> => {
    const out = new Set<string>();
    const queue = [name];
    while (queue.length > 0) {
      for (const edge of tasks[queue.pop()!]?.upstream ?? []) {
        if (!out.has(edge.task)) {
          out.add(edge.task);
          queue.push(edge.task);
        }
      }
    }
    return out;
  };
  for (const task of Object.values(tasks)) {
    const texts: [FieldPath, string][] = [
      ...("exec" in task.command
        ? task.command.exec.map((w): [FieldPath, string] => [["tasks", task.name, "command"], w])
        : [[["tasks", task.name, "command"], task.command.shell] as [FieldPath, string]]),
      ...Object.entries(task.env).map((
        [k, v],
      ): [FieldPath, string] => [["tasks", task.name, "env", k], v]),
    ];
    let above: Set<string> | undefined;
    for (const [path, text] of texts) {
      for (const [, kind, ref] of text.matchAll(REFERENCE)) {
        if (kind === "config" && !Object.hasOwn(config, ref)) {
          report(path, `unknown config key "${ref}"`, didYouMean(ref, Object.keys(config)));
        } else if (kind === "tasks") {
          const dot = ref.lastIndexOf(".");
          const from = dot < 0 ? ref : ref.slice(0, dot);
          above ??= ancestors(task.name);
          if (dot < 0) report(path, `"\${tasks.${ref}}" needs a key: \${tasks.TASK.KEY}`);
          else if (!above.has(from)) {
            report(
              path,
              `"${from}" is not upstream of "${task.name}": its outputs are not there when it runs`,
              didYouMean(from, [...above]),
            );
          }
        }
      }
    }
  }
}

/** Cycles named whole, then tasks that no root reaches (they hang below a cycle). */
function checkGraph(
  names: readonly string[],
  upstream: ReadonlyMap<string, readonly TaskEdge[]>,
  pathOf: (name: string) => FieldPath,
  report: (path: FieldPath, message: string, hint?: string) => void,
): boolean {
  const edges = new Map([...upstream].map(([n, list]) => [n, list.map((e) => e.task)]));
  const cycles = findCycles(names, edges);
  for (const cycle of cycles) {
    // Written as the flow runs: upstream first.
    report(pathOf(cycle[0]), `cycle in the task graph: ${[...cycle].reverse().join(" -> ")}`);
  }
  const downstream = new Map<string, string[]>(names.map((n) => [n, []]));
  for (const [to, list] of upstream) for (const e of list) downstream.get(e.task)?.push(to);
  const reached = new Set<string>();
  const queue = names.filter((n) => (upstream.get(n) ?? []).length === 0);
  for (const root of queue) reached.add(root);
  while (queue.length > 0) {
    for (const next of downstream.get(queue.pop()!) ?? []) {
      if (!reached.has(next)) {
        reached.add(next);
        queue.push(next);
      }
    }
  }
  const onCycle = new Set(cycles.flat());
  let ok = cycles.length === 0;
  for (const name of names) {
    if (reached.has(name) || onCycle.has(name)) continue;
    ok = false;
    report(
      pathOf(name),
      `task ${JSON.stringify(name)} is unreachable from any root task (it runs only after a cycle)`,
    );
  }
  return ok;
}
