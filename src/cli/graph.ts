/**
 * Renders the dependency graph as text, Graphviz DOT, Mermaid or JSON.
 *
 * @module
 */
import { type Dependency, formatDuration, type Stack, topologicalLevels } from "../domain/mod.ts";
import type { Style } from "./style.ts";

function edges(stack: Stack): Map<string, string[]> {
  return new Map(
    Object.values(stack.services).map((s) => [s.name, s.dependsOn.map((d) => d.target)]),
  );
}

function label(dep: Dependency): string {
  return dep.timeoutMs === undefined
    ? dep.require
    : `${dep.require}, ${formatDuration(dep.timeoutMs)}`;
}

/** The graph as a table of levels: what starts first at the top. */
export function graphText(stack: Stack, style: Style): string {
  const levels = topologicalLevels(Object.keys(stack.services), edges(stack));
  const width = Math.max(...Object.keys(stack.services).map((n) => n.length), 7);
  const lines = [style.bold(`stack ${stack.name}`)];
  levels.forEach((level, i) => {
    for (const name of level) {
      const s = stack.services[name];
      const what = `${s.kind}/${s.runtime}${s.replicas !== 1 ? ` x${s.replicas}` : ""}${
        s.enabled ? "" : " (disabled)"
      }`;
      const needs = s.dependsOn.map((d) => `${d.target} (${label(d)})`).join(", ");
      lines.push(
        `  ${style.dim(String(i))}  ${name.padEnd(width)}  ${what.padEnd(20)}${
          needs ? `  ${style.dim("needs")} ${needs}` : ""
        }`,
      );
    }
  });
  return lines.join("\n");
}

const quote = (s: string) => `"${s.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;

/** Graphviz DOT: nodes by kind, edges from dependency to dependent labelled with the condition. */
export function graphDot(stack: Stack): string {
  const shapes = { oneshot: "box", service: "ellipse", daemon: "hexagon" } as const;
  const lines = [
    `digraph ${quote(stack.name)} {`,
    "  rankdir=LR;",
    '  node [fontname="Helvetica"];',
  ];
  for (const s of Object.values(stack.services)) {
    const attrs = [
      `label=${
        quote(`${s.name}\n${s.kind}/${s.runtime}${s.replicas !== 1 ? ` x${s.replicas}` : ""}`)
      }`,
      `shape=${shapes[s.kind]}`,
      ...(s.enabled ? [] : ["style=dashed"]),
    ];
    lines.push(`  ${quote(s.name)} [${attrs.join(", ")}];`);
  }
  for (const s of Object.values(stack.services)) {
    for (const d of s.dependsOn) {
      lines.push(`  ${quote(d.target)} -> ${quote(s.name)} [label=${quote(label(d))}];`);
    }
  }
  lines.push("}");
  return lines.join("\n");
}

/** Mermaid flowchart, for Markdown. */
export function graphMermaid(stack: Stack): string {
  const id = (name: string) => name.replace(/[^A-Za-z0-9_]/g, "_");
  const lines = ["flowchart LR"];
  for (const s of Object.values(stack.services)) {
    const text = `${s.name}<br/>${s.kind}`;
    lines.push(
      s.kind === "oneshot" ? `  ${id(s.name)}["${text}"]` : `  ${id(s.name)}(["${text}"])`,
    );
  }
  for (const s of Object.values(stack.services)) {
    for (const d of s.dependsOn) lines.push(`  ${id(d.target)} -->|${label(d)}| ${id(s.name)}`);
  }
  return lines.join("\n");
}

/** JSON: nodes, edges and start levels. */
export function graphJson(stack: Stack): string {
  return JSON.stringify(
    {
      stack: stack.name,
      nodes: Object.values(stack.services).map((s) => ({
        name: s.name,
        kind: s.kind,
        runtime: s.runtime,
        replicas: s.replicas,
        enabled: s.enabled,
      })),
      edges: Object.values(stack.services).flatMap((s) =>
        s.dependsOn.map((d) => ({
          from: s.name,
          to: d.target,
          require: d.require,
          timeoutMs: d.timeoutMs ?? null,
        }))
      ),
      levels: topologicalLevels(Object.keys(stack.services), edges(stack)),
    },
    null,
    2,
  );
}
