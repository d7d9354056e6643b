/// <reference lib="dom" />
/**
 * The services' actions: start, stop, restart, scale and send a line, each with a notice of what
 * came of it; and an apply of a changed stack file (pasted or uploaded) that shows the plan first.
 *
 * @module
 */
import type { Plan } from "../../domain/plan.ts";
import { ApiError } from "./api.ts";
import type { Context } from "./context.ts";
import { type Child, fill, h, modal, toast } from "./dom.ts";

const path = (service: string, action: string) =>
  `/v1/services/${encodeURIComponent(service)}/${action}`;

/** Runs an action, saying what came of it. */
export async function act(
  context: Context,
  service: string,
  action: "start" | "stop" | "restart",
): Promise<void> {
  const words = { start: "starting", stop: "stopping", restart: "restarting" }[action];
  toast(`${service}: ${words}…`);
  try {
    await context.api.json("POST", path(service, action));
    toast(`${service}: ${action === "start" ? "start asked" : `${action} done`}`);
  } catch (error) {
    toast(`${service}: ${action} failed: ${(error as Error).message}`, "error");
  } finally {
    context.refresh();
  }
}

/** Asks for a number of replicas and rescales. */
export async function scale(context: Context, service: string, current: number): Promise<void> {
  const replicas = await modal<number>(`Scale ${service}`, (done, close) => {
    const input = h("input", {
      type: "number",
      min: 0,
      max: 1000,
      value: current,
      name: "replicas",
      required: true,
    });
    return h(
      "form",
      { class: "stack", on: { submit: (e) => (e.preventDefault(), done(Number(input.value))) } },
      h("label", {}, "Replicas ", input),
      h(
        "div",
        { class: "buttons" },
        h("button", { type: "button", on: { click: close } }, "Cancel"),
        h("button", { class: "primary" }, "Scale"),
      ),
    );
  });
  if (replicas === undefined || !Number.isInteger(replicas) || replicas < 0) return;
  try {
    await context.api.json("POST", path(service, "scale"), { replicas });
    toast(`${service}: scaled to ${replicas}`);
  } catch (error) {
    toast(`${service}: scale failed: ${(error as Error).message}`, "error");
  }
  context.refresh();
}

/** Asks for a line and writes it to the service's stdin. */
export async function send(context: Context, service: string): Promise<void> {
  const text = await modal<string>(`Send a line to ${service}`, (done, close) => {
    const input = h("input", {
      type: "text",
      name: "text",
      autocomplete: "off",
      "aria-label": "Line to send",
      maxlength: 65536,
    });
    queueMicrotask(() => input.focus());
    return h(
      "form",
      { class: "stack", on: { submit: (e) => (e.preventDefault(), done(input.value)) } },
      h("label", {}, "Line ", input),
      h("p", { class: "hint" }, "Written to its stdin with a newline."),
      h(
        "div",
        { class: "buttons" },
        h("button", { type: "button", on: { click: close } }, "Cancel"),
        h("button", { class: "primary" }, "Send"),
      ),
    );
  });
  if (text === undefined) return;
  try {
    const result = await context.api.json<{ delivered: number }>("POST", path(service, "send"), {
      text,
    });
    toast(`${service}: sent to ${result.delivered} instance(s)`);
  } catch (error) {
    toast(`${service}: send failed: ${(error as Error).message}`, "error");
  }
}

/** The plan in words, as a list. */
export function planView(plan: Plan): HTMLElement {
  const rows: Child[] = [];
  const row = (kind: string, text: string) =>
    rows.push(h("li", { class: `plan-${kind}` }, h("b", {}, kind), " ", text));
  for (const s of plan.added) row("add", s);
  for (const s of plan.removed) row("remove", s);
  for (const c of plan.changed) {
    row("change", `${c.service} (${c.fields.join(", ")}; ${c.strategy})`);
  }
  for (const s of plan.scaled) row("scale", `${s.service} ${s.from} → ${s.to}`);
  if (plan.unchanged.length) row("keep", plan.unchanged.join(", "));
  return h("ul", { class: "plan" }, rows.length ? rows : h("li", {}, "nothing"));
}

function errorView(error: unknown): HTMLElement {
  const issues = error instanceof ApiError
    ? ((error.body as { error?: { issues?: unknown } })?.error?.issues)
    : undefined;
  const list = Array.isArray(issues)
    ? issues.map((i: Record<string, unknown>) =>
      h(
        "li",
        {},
        [i.file, i.line, i.column].filter((x) => x !== undefined).join(":"),
        " ",
        String(i.path ?? ""),
        ": ",
        String(i.message ?? ""),
      )
    )
    : [];
  return h(
    "div",
    { class: "error-box", role: "alert" },
    (error as Error).message,
    list.length ? h("ul", {}, list) : null,
  );
}

/** The apply dialog: content pasted or uploaded, the plan, then the apply. */
export function applyDialog(context: Context): Promise<void> {
  return modal<void>("Apply a stack file", (_done, close) => {
    const name = h("input", {
      type: "text",
      value: "stack.yaml",
      name: "name",
      "aria-label": "File name in the project",
    });
    const content = h("textarea", {
      rows: 14,
      spellcheck: "false",
      name: "content",
      "aria-label": "Stack file content",
      placeholder: "services:\n  web:\n    command: ...",
    });
    const file = h("input", {
      type: "file",
      accept: ".yaml,.yml,.toml",
      "aria-label": "Upload a stack file",
    });
    const result = h("div", { class: "result", "aria-live": "polite" });
    const applyButton = h("button", { type: "button", class: "primary", disabled: true }, "Apply");
    const planButton = h("button", { type: "button" }, "Show the plan");
    const body = () => ({ content: content.value, name: name.value.trim() || "stack.yaml" });
    file.addEventListener("change", async () => {
      const chosen = file.files?.[0];
      if (!chosen) return;
      content.value = await chosen.text();
      name.value = chosen.name;
      applyButton.disabled = true;
    });
    content.addEventListener("input", () => (applyButton.disabled = true));
    planButton.addEventListener("click", async () => {
      result.replaceChildren(h("p", {}, "Planning…"));
      try {
        const { plan } = await context.api.json<{ plan: Plan }>("POST", "/v1/apply", {
          ...body(),
          dryRun: true,
        });
        result.replaceChildren(h("h3", {}, "Plan"), planView(plan));
        applyButton.disabled = context.access !== "admin";
      } catch (error) {
        result.replaceChildren(errorView(error));
      }
    });
    applyButton.addEventListener("click", async () => {
      applyButton.disabled = true;
      result.append(h("p", {}, "Applying…"));
      try {
        const outcome = await context.api.json<{ plan: Plan; failed: Record<string, string> }>(
          "POST",
          "/v1/apply",
          body(),
        );
        const failed = Object.entries(outcome.failed ?? {});
        fill(
          result,
          h("h3", {}, failed.length ? "Applied, with failures" : "Applied"),
          planView(outcome.plan),
          failed.length
            ? h("ul", { class: "error-box" }, failed.map(([s, why]) => h("li", {}, `${s}: ${why}`)))
            : null,
        );
        toast(
          failed.length ? "apply: some services failed" : "apply: done",
          failed.length ? "error" : "ok",
        );
        await context.reloadServices();
      } catch (error) {
        result.replaceChildren(errorView(error));
      }
      context.refresh();
    });
    return h(
      "div",
      { class: "stack apply" },
      h(
        "p",
        { class: "hint" },
        "Paste a stack file or upload one. The plan comes first; nothing changes until you apply it.",
      ),
      h("label", {}, "File ", file),
      h("label", {}, "Name ", name),
      content,
      h(
        "div",
        { class: "buttons" },
        h("button", { type: "button", on: { click: close } }, "Close"),
        planButton,
        applyButton,
      ),
      result,
    );
  });
}
