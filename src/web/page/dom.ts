/// <reference lib="dom" />
/**
 * A few helpers to build the page's elements. Text is always a text node: nothing a service
 * prints, and nothing the API returns, is ever parsed as markup (no innerHTML anywhere).
 *
 * @module
 */

/** What may go inside an element: nodes, text, numbers; nothing for null, undefined or false. */
export type Child = Node | string | number | null | undefined | false | readonly Child[];

/** Attributes and listeners of an element. */
export interface Props {
  readonly class?: string;
  readonly on?: {
    readonly [K in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[K]) => void;
  };
  readonly [attribute: string]: unknown;
}

function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
}

function apply(element: Element, props: Props | undefined): void {
  if (!props) return;
  for (const [key, value] of Object.entries(props)) {
    if (key === "on") {
      for (const [type, listener] of Object.entries(value as Record<string, EventListener>)) {
        element.addEventListener(type, listener);
      }
    } else if (key.startsWith("on")) {
      throw new Error(`no inline handler ${key}: use on`);
    } else if (value === true) element.setAttribute(key, "");
    else if (value !== false && value !== undefined && value !== null) {
      element.setAttribute(key, String(value));
    }
  }
}

/** An HTML element. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props?: Props,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  apply(element, props);
  append(element, children);
  return element;
}

const SVG = "http://www.w3.org/2000/svg";

/** An SVG element. */
export function s<K extends keyof SVGElementTagNameMap>(
  tag: K,
  props?: Props,
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag) as SVGElementTagNameMap[K];
  apply(element, props);
  append(element, children);
  return element;
}

/** Replaces an element's children. */
export function fill(element: Element, ...children: Child[]): void {
  element.replaceChildren();
  append(element, children);
}

/** Sets a text if it changed (keeps selections and avoids layout work). */
export function setText(element: Element, text: string): void {
  if (element.textContent !== text) element.textContent = text;
}

/** A modal dialog; resolves with the value `done` gives, or undefined when dismissed. */
export function modal<T>(
  title: string,
  build: (done: (value: T) => void, close: () => void) => Child,
): Promise<T | undefined> {
  return new Promise((resolve) => {
    let result: T | undefined;
    const dialog = h("dialog", { class: "modal", "aria-label": title });
    const close = () => dialog.close();
    const done = (value: T) => {
      result = value;
      dialog.close();
    };
    fill(
      dialog,
      h(
        "header",
        {},
        h("h2", {}, title),
        h(
          "button",
          { class: "icon", type: "button", "aria-label": "Close", on: { click: close } },
          "×",
        ),
      ),
      build(done, close),
    );
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(result);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** A short notice at the bottom of the screen. */
export function toast(text: string, kind: "ok" | "error" = "ok"): void {
  let area = document.getElementById("toasts");
  if (!area) {
    area = h("div", { id: "toasts", role: "status", "aria-live": "polite" });
    document.body.append(area);
  }
  const item = h("div", { class: `toast ${kind}` }, text);
  area.append(item);
  setTimeout(() => item.remove(), kind === "error" ? 8000 : 4000);
}
