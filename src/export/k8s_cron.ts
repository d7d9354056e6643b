/**
 * Scheduled flows -> Kubernetes CronJobs, one per schedule of a flow whose one task has an image:
 * the cron expression (an interval of whole minutes that divide an hour as a step of the minute field), the time
 * zone, the overlap policy as `concurrencyPolicy`, catch-up as `startingDeadlineSeconds`, the
 * retries as `backoffLimit`, the timeout as `activeDeadlineSeconds`, the stop grace, the user.
 *
 * A CronJob runs one pod template: a flow of several tasks (a DAG, retries per task, outputs
 * handed on) or with a task that has no image cannot be one, and is reported with the reason,
 * as is a flow without a schedule and whatever of a mapped flow Kubernetes does not express.
 *
 * @module
 */
import { argvOf, type Command, type Flow, type FlowSet, type Schedule } from "../domain/mod.ts";
import type { K8sGenerator, K8sObject } from "./k8s.ts";
import { k8sName } from "./k8s.ts";

/** Kubernetes expands `$(VAR)` in commands and env values: a literal one is `$$(VAR)`. */
const escape = (text: string) => text.replaceAll("$(", "$$$$(");
const REFERENCE = /\$\{(config|payload|tasks)\.([^}]*)\}/g;
const NICKNAMES = new Set(["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@hourly"]);

/** The reason a flow cannot be a CronJob, or `undefined` when it can. */
export function unmappable(flow: Flow): string | undefined {
  const tasks = Object.values(flow.tasks);
  if (flow.schedules.length === 0) {
    return "has no schedule: only scheduled flows become CronJobs (not exported)";
  }
  if (tasks.length !== 1) {
    return `has ${tasks.length} tasks: a CronJob runs one container, not a DAG of tasks ` +
      "(not exported; run it with orch, or split it into one-task flows)";
  }
  if (!tasks[0].image) {
    return `task ${tasks[0].name} has no image: it runs on orch's machine (not exported)`;
  }
  return undefined;
}

/** A schedule as a Kubernetes cron expression (5 fields or a nickname), or why it is none. */
export function k8sSchedule(schedule: Schedule): { expr: string } | { error: string } {
  if (schedule.kind === "every") {
    const minutes = schedule.everyMs / 60_000;
    if (Number.isInteger(minutes) && minutes >= 1 && minutes < 60 && 60 % minutes === 0) {
      return { expr: minutes === 1 ? "* * * * *" : `*/${minutes} * * * *` };
    }
    if (schedule.everyMs % 3_600_000 === 0 && 24 % (schedule.everyMs / 3_600_000) === 0) {
      const hours = schedule.everyMs / 3_600_000;
      return {
        expr: hours === 24 ? "0 0 * * *" : hours === 1 ? "0 * * * *" : `0 */${hours} * * *`,
      };
    }
    return {
      error: `${schedule.expr} is not a cron schedule (whole minutes dividing an hour, or hours ` +
        "dividing a day)",
    };
  }
  const expr = schedule.expr.trim();
  if (expr.startsWith("@")) {
    return NICKNAMES.has(expr) ? { expr } : { error: `${expr} has no Kubernetes equivalent` };
  }
  const fields = expr.split(/\s+/);
  if (fields.length === 5) return { expr };
  if (fields.length === 6 && fields[0] === "0") return { expr: fields.slice(1).join(" ") };
  return { error: `${expr} has a seconds field: Kubernetes schedules to the minute` };
}

/** The references of a command expanded as a scheduled run has them (no payload, no upstream). */
function commandOf(
  command: Command,
  flow: Flow,
  note: (m: string) => void,
): { args: string[]; env: Record<string, string> } {
  const value = (kind: string, path: string) => {
    if (kind === "config") return Object.hasOwn(flow.config, path) ? flow.config[path] : "";
    note(`\${${kind}.${path}} is empty in a scheduled run: written as ""`);
    return "";
  };
  if ("exec" in command) {
    return {
      args: command.exec.map((w) => w.replace(REFERENCE, (_, k, p) => value(k, p))),
      env: {},
    };
  }
  // As orch runs it: a reference in a script is a variable holding the value, not shell code.
  const env: Record<string, string> = {};
  let n = 0;
  const shell = command.shell.replace(REFERENCE, (_, kind, path) => {
    const name = `ORCH_REF_${++n}`;
    env[name] = value(kind, path);
    return `\${${name}}`;
  });
  return { args: argvOf({ shell }), env };
}

/** The CronJobs of the flows' scheduled one-task image flows; the rest reported in `notes`. */
export function cronJobs(flows: FlowSet): K8sGenerator {
  return (stack, notes) => {
    const objects: K8sObject[] = [];
    const partOf = k8sName(stack.name);
    for (const flow of Object.values(flows.flows)) {
      const note = notes.for(`flow ${flow.name}`);
      const why = unmappable(flow);
      if (why) {
        note(why);
        continue;
      }
      const task = Object.values(flow.tasks)[0];
      const name = k8sName(flow.name);
      if (name !== flow.name) {
        note(`named ${name} (Kubernetes names are lowercase letters, digits and -)`);
      }
      if (flow.events.length || flow.after.length || flow.onService.length) {
        note("its triggers other than the schedule (events, after, onService) are not exported");
      }
      if (flow.requires.length || task.needs.length) {
        note("what it requires or needs before a run is not waited for by the CronJob");
      }
      if (Object.keys(task.slots).length) note("resource pools have no Kubernetes equivalent");
      if (task.retry.onExitCodes) {
        note("retries on some exit codes only: Kubernetes retries every failure (backoffLimit)");
      }
      if (task.successCodes.length !== 1 || task.successCodes[0] !== 0) {
        note(`success codes ${task.successCodes.join(",")}: Kubernetes counts only 0 a success`);
      }
      if (task.stop.signal !== "SIGTERM") {
        note(`stops with ${task.stop.signal}: Kubernetes sends SIGTERM (then SIGKILL)`);
      }
      if (task.retry.attempts > 1 && task.timeoutMs !== undefined) {
        note("the timeout bounds all attempts together (activeDeadlineSeconds), not each");
      }
      const concurrency = { skip: "Forbid", queue: "Forbid", allow: "Allow", replace: "Replace" }[
        flow.overlap
      ];
      if (flow.overlap === "queue") {
        note(
          "overlap queue has no Kubernetes equivalent: Forbid (a run due while one runs is skipped)",
        );
      }
      if (flow.catchUp.mode === "all") {
        note("catchUp all: Kubernetes starts at most one missed run");
      }
      const deadline = flow.catchUp.mode === "none"
        ? 60
        : flow.catchUp.windowMs !== undefined
        ? Math.max(10, Math.ceil(flow.catchUp.windowMs / 1000))
        : undefined;
      const { args, env } = commandOf(task.command, flow, note);
      const vars: Record<string, string> = {
        ...task.env,
        ...env,
        ORCH_STACK: stack.name,
        ORCH_FLOW: flow.name,
        ORCH_TASK: task.name,
        ORCH_TRIGGER: "schedule",
      };
      const numeric = (v: string | undefined) => v !== undefined && /^\d+$/.test(v);
      if ((task.user && !numeric(task.user)) || (task.group && !numeric(task.group))) {
        note("a user or group by name: Kubernetes takes numeric ids only (runs as the image's)");
      }
      const security = {
        ...(numeric(task.user) ? { runAsUser: Number(task.user) } : {}),
        ...(numeric(task.group) ? { runAsGroup: Number(task.group) } : {}),
      };
      const labels = {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/part-of": partOf,
        "orch.dev/flow": k8sName(flow.name),
      };
      flow.schedules.forEach((schedule, i) => {
        const mapped = k8sSchedule(schedule);
        if ("error" in mapped) {
          note(`schedule ${schedule.expr}: ${mapped.error} (not exported)`);
          return;
        }
        const objName = flow.schedules.length > 1 ? k8sName(`${name}-${i}`) : name;
        objects.push({
          apiVersion: "batch/v1",
          kind: "CronJob",
          metadata: { name: objName, labels, annotations: { "orch.dev/schedule": schedule.expr } },
          spec: {
            schedule: mapped.expr,
            ...(flow.timezone ? { timeZone: flow.timezone } : {}),
            concurrencyPolicy: concurrency,
            ...(deadline !== undefined ? { startingDeadlineSeconds: deadline } : {}),
            successfulJobsHistoryLimit: Math.min(flow.retention.count ?? 3, 100),
            jobTemplate: {
              metadata: { labels },
              spec: {
                backoffLimit: task.retry.attempts - 1,
                ...(task.timeoutMs !== undefined
                  ? { activeDeadlineSeconds: Math.max(1, Math.ceil(task.timeoutMs / 1000)) }
                  : {}),
                template: {
                  metadata: { labels },
                  spec: {
                    restartPolicy: "Never",
                    terminationGracePeriodSeconds: Math.ceil(task.stop.timeoutMs / 1000),
                    ...(Object.keys(security).length ? { securityContext: security } : {}),
                    containers: [{
                      name: k8sName(task.name),
                      image: task.image!,
                      args: args.map(escape),
                      env: Object.entries(vars).map(([k, v]) => ({ name: k, value: escape(v) })),
                    }],
                  },
                },
              },
            },
          },
        });
      });
    }
    return objects;
  };
}
