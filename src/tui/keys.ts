/**
 * Keys to commands: a pure function from a model and a key to the next model and the commands the
 * app must carry out (restart, start/stop, send, save, quit).
 *
 * @module
 */
import {
  filtered,
  layout,
  type Model,
  selectedService,
  tableWindow,
  visibleLogs,
} from "./model.ts";
import { FLOW_KEY_HELP, type FlowCommand, handleFlowKey, viewKey } from "./flows_keys.ts";

/** What the app must do after a key. */
export type Command =
  | { readonly type: "restart"; readonly service: string }
  | { readonly type: "start"; readonly service: string }
  | { readonly type: "stop"; readonly service: string }
  | { readonly type: "send"; readonly service: string; readonly text: string }
  | { readonly type: "save"; readonly lines: readonly string[]; readonly what: string }
  | { readonly type: "quit"; readonly stopStack: boolean }
  | { readonly type: "flow"; readonly command: FlowCommand };

/** Key names the terminal decoder produces (printable characters are themselves). */
export type Key = string;

/** Every key, for the help screen. */
export const KEY_HELP: readonly [string, string][] = [
  ["↑/↓ j/k", "select a service"],
  ["Enter", "show only the selected service's logs"],
  ["Tab", "back to every service's logs"],
  ["/", "filter the logs by a regular expression (empty: none)"],
  ["l", "cycle the level filter: all, debug, info, warn, error"],
  ["n / N", "mark the next / previous matching line"],
  ["PgUp/PgDn Home/End", "scroll; scrolling up pauses following"],
  ["f", "follow the newest lines again"],
  ["r", "restart the selected service"],
  ["s", "stop the selected service, or start it"],
  ["i", "type a line for the selected service's stdin"],
  ["w", "write the visible logs (focused: the service's whole buffer) to a file"],
  ["Ctrl-U / Ctrl-W", "in a prompt: clear the line / delete the word before the cursor"],
  ...FLOW_KEY_HELP,
  ["?", "this help"],
  ["q / Ctrl-C", "quit (orch up asks first: y or Ctrl-C stops the stack)"],
];

type Result = { model: Model; commands: Command[] };

const done = (model: Model, ...commands: Command[]): Result => ({ model, commands });

function scrollBy(model: Model, delta: number): Model {
  const total = filtered(model).length;
  const { logRows } = layout(model);
  const max = Math.max(0, total - logRows);
  const scroll = Math.min(max, Math.max(0, (model.follow ? 0 : model.scroll) + delta));
  return {
    ...model,
    scroll,
    follow: scroll === 0 && delta < 0 ? true : scroll === 0 ? model.follow : false,
  };
}

function jump(model: Model, direction: 1 | -1): Model {
  const all = filtered(model);
  if (all.length === 0) return { ...model, flash: "no matching lines" };
  const at = model.mark === undefined ? -1 : all.findIndex((l) => l.record.seq === model.mark);
  let index = at < 0 ? (direction < 0 ? all.length - 1 : 0) : at + direction;
  index = Math.max(0, Math.min(all.length - 1, index));
  const mark = all[index].record.seq;
  // Scroll so that the marked line is in view.
  const { logRows } = layout(model);
  const fromEnd = all.length - 1 - index;
  let scroll = model.follow ? 0 : model.scroll;
  if (fromEnd < scroll) scroll = fromEnd;
  if (fromEnd >= scroll + logRows) scroll = fromEnd - logRows + 1;
  return { ...model, mark, scroll, follow: scroll === 0 && model.follow };
}

function lineFor(model: Model, l: { record: { service: string; replica: number }; text: string }) {
  const many = model.instances.filter((i) => i.service === l.record.service).length > 1;
  return `${l.record.service}${many ? `.${l.record.replica}` : ""} | ${l.text}`;
}

/** Selects a service; the table scrolls to keep it in view. */
function select(model: Model, index: number): Model {
  const selected = Math.max(0, Math.min(Math.max(0, model.services.length - 1), index));
  const next = { ...model, selected };
  return { ...next, tableTop: tableWindow(next).first };
}

/** Applies one key. */
export function handleKey(model: Model, key: Key): Result {
  const m: Model = { ...model, flash: undefined };
  // The stack has ended and its final table is on screen: any key leaves.
  if (m.ended !== undefined && key !== "ctrl-l") return done(m, { type: "quit", stopStack: false });
  if (m.view !== "services" || m.mode === "payload") {
    const flow = handleFlowKey(m, key);
    if (flow) {
      return done(
        flow.model,
        ...flow.commands.map((command) => ({ type: "flow" as const, command })),
      );
    }
  }
  const service = selectedService(m);
  switch (m.mode) {
    case "help":
      return done({ ...m, mode: "normal" });
    case "confirmQuit":
      if (key === "y" || key === "Y" || key === "ctrl-c") {
        return done(m, { type: "quit", stopStack: true });
      }
      return done({ ...m, mode: "normal", flash: "the stack keeps running" });
    case "filter":
    case "input": {
      if (key === "escape" || key === "ctrl-c") return done({ ...m, mode: "normal", input: "" });
      if (key === "backspace") return done({ ...m, input: [...m.input].slice(0, -1).join("") });
      if (key === "ctrl-u") return done({ ...m, input: "" });
      if (key === "ctrl-w") return done({ ...m, input: m.input.replace(/\S*\s*$/u, "") });
      if (key === "enter") {
        if (m.mode === "input") {
          if (!service) return done({ ...m, mode: "normal", input: "" });
          return done(
            { ...m, mode: "normal", input: "", flash: `sent to ${service.service}` },
            { type: "send", service: service.service, text: m.input },
          );
        }
        if (m.input === "") {
          return done({ ...m, mode: "normal", filter: undefined, mark: undefined });
        }
        try {
          const re = new RegExp(m.input, "i");
          return done({
            ...m,
            mode: "normal",
            filter: { source: m.input, re },
            input: "",
            scroll: 0,
            mark: undefined,
          });
        } catch (error) {
          return done({ ...m, flash: `bad pattern: ${(error as Error).message}` });
        }
      }
      if ([...key].length === 1 && key >= " ") return done({ ...m, input: m.input + key });
      return done(m);
    }
  }
  const view = m.mode === "normal" ? viewKey(key) : undefined;
  if (view) return done({ ...m, view });
  switch (key) {
    case "up":
    case "k":
      return done(select(m, m.selected - 1));
    case "down":
    case "j":
      return done(select(m, m.selected + 1));
    case "enter":
      return service
        ? done({ ...m, focus: service.service, scroll: 0, follow: true, mark: undefined })
        : done(m);
    case "tab":
      return done({ ...m, focus: undefined, scroll: 0, follow: true, mark: undefined });
    case "/":
      return done({ ...m, mode: "filter", input: m.filter?.source ?? "" });
    case "l": {
      const cycle = [undefined, "debug", "info", "warn", "error"] as const;
      const next = cycle[(cycle.indexOf(m.minLevel as typeof cycle[number]) + 1) % cycle.length];
      return done({
        ...m,
        minLevel: next,
        scroll: 0,
        flash: next ? `level ≥ ${next}` : "all levels",
      });
    }
    case "n":
      return done(jump(m, 1));
    case "N":
      return done(jump(m, -1));
    case "pageup":
      return done(scrollBy(m, Math.max(1, layout(m).logRows - 1)));
    case "pagedown":
      return done(scrollBy(m, -Math.max(1, layout(m).logRows - 1)));
    case "home":
      return done(scrollBy(m, Number.MAX_SAFE_INTEGER));
    case "end":
      return done({ ...m, scroll: 0, follow: true });
    case "f":
      return done({ ...m, scroll: 0, follow: true, flash: "following" });
    case "r":
      return service
        ? done({ ...m, flash: `restarting ${service.service}` }, {
          type: "restart",
          service: service.service,
        })
        : done(m);
    case "s": {
      if (!service) return done(m);
      const running =
        ["running", "ready", "starting", "waiting", "backoff"].includes(service.state) &&
        service.replicas > 0;
      return done(
        { ...m, flash: `${running ? "stopping" : "starting"} ${service.service}` },
        { type: running ? "stop" : "start", service: service.service },
      );
    }
    case "i":
      return service ? done({ ...m, mode: "input", input: "" }) : done(m);
    case "w": {
      const lines = m.focus
        ? filtered({ ...m, filter: undefined, minLevel: undefined })
        : visibleLogs(m).lines;
      return done(m, {
        type: "save",
        lines: lines.map((l) => lineFor(m, l)),
        what: m.focus ? `${m.focus}'s buffer` : "the visible logs",
      });
    }
    case "?":
      return done({ ...m, mode: "help" });
    case "q":
    case "ctrl-c":
      return m.ownsStack
        ? done({ ...m, mode: "confirmQuit" })
        : done(m, { type: "quit", stopStack: false });
    case "escape":
      return done({ ...m, filter: undefined, mark: undefined });
    default:
      return done(m);
  }
}
