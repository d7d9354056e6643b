/**
 * What the TUI's flows views read and do through the control interface: the flows, the runs of
 * the Runs view, the run of the Run view with its selected task's output; and the commands of
 * their keys (trigger, cancel, retry, pause, resume).
 *
 * @module
 */
import type { Control } from "../control/mod.ts";
import type { FlowCommand } from "./flows_keys.ts";
import { type FlowsState, selectedTask } from "./flows_model.ts";
import type { Model } from "./model.ts";
import { clean } from "./text.ts";

/** Lines of a task's output the Run view keeps. */
const TASK_LINES = 500;

/** Reads what the shown view needs; undefined when the orch cannot be read. */
export async function loadFlows(
  control: Control,
  model: Model,
): Promise<Partial<FlowsState> | undefined> {
  const s = model.flows;
  try {
    const patch: { -readonly [K in keyof FlowsState]?: FlowsState[K] } = {
      flows: await control.flows.list(),
    };
    const state = await control.flows.scheduler().catch(() => undefined);
    patch.schedulerPaused = state?.paused ?? false;
    if (model.view === "runs" || model.view === "run") {
      const page = await control.flows.runs({
        ...(s.runsOf !== undefined ? { flow: s.runsOf } : {}),
        limit: 200,
      });
      patch.runs = page.runs;
    }
    if (model.view === "run") {
      const id = s.openRun ?? patch.runs?.[0]?.id;
      if (id !== undefined) {
        const detail = await control.flows.run(id);
        patch.run = detail;
        patch.openRun = id;
        const task = selectedTask({ ...s, run: detail });
        if (task) {
          const logs = await control.logs(
            { services: [detail.run.flow], run: id, task: task.task },
            { tail: TASK_LINES },
          );
          const lines: string[] = [];
          try {
            for await (const batch of logs.batches()) {
              for (const record of batch) lines.push(clean(record.msg));
            }
          } finally {
            logs.close();
          }
          patch.taskLog = lines.slice(-TASK_LINES);
        }
      }
    }
    return patch;
  } catch {
    return undefined;
  }
}

/** Carries out a flows view's command; resolves with a message for the footer. */
export async function actFlow(control: Control, command: FlowCommand): Promise<string> {
  switch (command.type) {
    case "trigger": {
      const { run } = await control.flows.trigger(
        command.flow,
        command.payload === undefined ? {} : { payload: command.payload },
      );
      return `run ${run.id} of ${command.flow}: ${run.status}${
        run.reason ? ` (${run.reason})` : ""
      }`;
    }
    case "cancel": {
      const run = await control.flows.cancel(command.run);
      return `run ${run.id}: ${run.status}`;
    }
    case "retry": {
      const { run } = await control.flows.retry(
        command.run,
        command.from === undefined ? {} : { from: command.from },
      );
      return `run ${run.id}: ${run.trigger.detail}`;
    }
    case "pause":
    case "resume":
      await control.flows[command.type](command.flow);
      return `${command.flow ?? "scheduler"}: ${command.type === "pause" ? "paused" : "resumed"}`;
  }
}
