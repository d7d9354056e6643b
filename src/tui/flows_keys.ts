/**
 * Keys of the flows views: select (↑↓ j/k), open (Enter: a flow's runs, a run's graph), back
 * (Esc, Backspace), trigger a flow asking for a payload (t), cancel (c) and retry (r: from the
 * selected task in the Run view, else from the first failed one) a run, pause and resume the
 * selected flow (p) or the whole scheduler (P). Pure: the next model and the commands to run.
 *
 * @module
 */
import {
  type FlowsState,
  runTasks,
  selectedFlow,
  selectedRun,
  selectedTask,
  type View,
  VIEWS,
} from "./flows_model.ts";
import type { Model } from "./model.ts";

/** What the app must do after a key in a flows view. */
export type FlowCommand =
  | { readonly type: "trigger"; readonly flow: string; readonly payload: unknown }
  | { readonly type: "cancel"; readonly run: number }
  | { readonly type: "retry"; readonly run: number; readonly from: string | undefined }
  | { readonly type: "pause" | "resume"; readonly flow: string | undefined };

/** The keys of the flows views, for the help screen. */
export const FLOW_KEY_HELP: readonly [string, string][] = [
  ["1 2 3 4", "views: Services, Flows, Runs, Run"],
  ["Enter", "Flows: the flow's runs · Runs: the run's graph and output"],
  ["Esc", "back: Run to Runs, Runs to Flows"],
  ["t", "trigger the selected flow (asks for a JSON payload; empty: none)"],
  ["c", "cancel the selected run"],
  ["r", "retry the run (Run view: from the selected task; else from its failed task)"],
  ["p / P", "pause or resume the selected flow / the whole scheduler"],
];

type Result = { model: Model; commands: FlowCommand[] };

const with_ = (m: Model, flows: Partial<FlowsState>, extra: Partial<Model> = {}): Model => ({
  ...m,
  ...extra,
  flows: { ...m.flows, ...flows },
});

/** The keys that switch views, from any view. */
export function viewKey(key: string): View | undefined {
  const i = ["1", "2", "3", "4"].indexOf(key);
  return i < 0 ? undefined : VIEWS[i];
}

/** A refusal when no action can be carried out (a database read with no orch). */
function refused(m: Model): Result | undefined {
  return m.flows.readOnly ? { model: { ...m, flash: m.flows.readOnly }, commands: [] } : undefined;
}

/** The run that c and r act on: the open one in the Run view, else the selected one. */
function actedRun(m: Model): number | undefined {
  return m.view === "run" ? m.flows.run?.run.id : selectedRun(m.flows)?.id;
}

/**
 * Applies a key in a flows view, or in the payload prompt; undefined for keys it leaves to the
 * general handler (q, ?, Ctrl-C, Ctrl-L).
 */
export function handleFlowKey(m: Model, key: string): Result | undefined {
  const s = m.flows;
  const done = (model: Model, ...commands: FlowCommand[]): Result => ({ model, commands });
  if (m.mode === "payload") {
    if (key === "escape" || key === "ctrl-c") {
      return done(with_(m, { payloadFor: undefined }, { mode: "normal", input: "" }));
    }
    if (key === "backspace") return done({ ...m, input: [...m.input].slice(0, -1).join("") });
    if (key === "ctrl-u") return done({ ...m, input: "" });
    if (key === "enter") {
      const flow = s.payloadFor!;
      let payload: unknown = undefined;
      if (m.input.trim() !== "") {
        try {
          payload = JSON.parse(m.input);
        } catch (error) {
          return done({ ...m, flash: `not JSON: ${(error as Error).message}` });
        }
      }
      return done(
        with_(m, { payloadFor: undefined }, { mode: "normal", input: "" }),
        { type: "trigger", flow, payload },
      );
    }
    if ([...key].length === 1 && key >= " ") return done({ ...m, input: m.input + key });
    return done(m);
  }
  if (m.mode !== "normal" || ["q", "?", "ctrl-c", "ctrl-l"].includes(key)) return undefined;
  const view = viewKey(key);
  if (view) return done({ ...m, view });
  const move = (delta: number): Result => {
    if (m.view === "flows") {
      return done(with_(m, { selFlow: clampTo(s.selFlow + delta, s.flows.length) }));
    }
    if (m.view === "runs") {
      return done(with_(m, { selRun: clampTo(s.selRun + delta, s.runs.length) }));
    }
    const n = runTasks(s.run).length;
    return done(with_(m, { selTask: clampTo(s.selTask + delta, n), taskLog: [] }));
  };
  switch (key) {
    case "up":
    case "k":
      return move(-1);
    case "down":
    case "j":
      return move(1);
    case "enter": {
      if (m.view === "flows") {
        const flow = selectedFlow(s);
        return done(with_(m, { runsOf: flow?.name, selRun: 0 }, { view: "runs" }));
      }
      if (m.view === "runs") {
        const run = selectedRun(s);
        if (!run) return done(m);
        return done(
          with_(m, {
            openRun: run.id,
            run: s.run?.run.id === run.id ? s.run : undefined,
            selTask: 0,
            taskLog: [],
          }, { view: "run" }),
        );
      }
      return done(m);
    }
    case "escape":
    case "backspace":
      if (m.view === "run") return done({ ...m, view: "runs" });
      if (m.view === "runs") {
        return s.runsOf
          ? done(with_(m, { runsOf: undefined, selRun: 0 }))
          : done({ ...m, view: "flows" });
      }
      return done(m);
    case "a":
      return m.view === "runs" ? done(with_(m, { runsOf: undefined, selRun: 0 })) : done(m);
    case "t": {
      const no = refused(m);
      if (no) return no;
      const flow = m.view === "flows"
        ? selectedFlow(s)?.name
        : m.view === "run"
        ? s.run?.run.flow
        : selectedRun(s)?.flow ?? s.runsOf;
      if (!flow) return done({ ...m, flash: "no flow selected" });
      return done(with_(m, { payloadFor: flow }, { mode: "payload", input: "" }));
    }
    case "c": {
      const no = refused(m);
      if (no) return no;
      const run = actedRun(m);
      return run === undefined
        ? done({ ...m, flash: "no run selected" })
        : done(m, { type: "cancel", run });
    }
    case "r": {
      const no = refused(m);
      if (no) return no;
      const run = actedRun(m);
      if (run === undefined) return done({ ...m, flash: "no run selected" });
      const from = m.view === "run" ? selectedTask(s)?.task : undefined;
      return done(m, { type: "retry", run, from });
    }
    case "p": {
      const no = refused(m);
      if (no) return no;
      const flow = m.view === "flows"
        ? selectedFlow(s)
        : s.flows.find((f) => f.name === (selectedRun(s)?.flow ?? s.runsOf));
      if (!flow) return done({ ...m, flash: "no flow selected" });
      return done(m, { type: flow.paused ? "resume" : "pause", flow: flow.name });
    }
    case "P": {
      const no = refused(m);
      if (no) return no;
      return done(m, { type: m.flows.schedulerPaused ? "resume" : "pause", flow: undefined });
    }
  }
  return done(m);
}

function clampTo(i: number, n: number): number {
  return Math.max(0, Math.min(Math.max(0, n - 1), i));
}
