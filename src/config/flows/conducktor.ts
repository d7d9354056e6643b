/**
 * Conducktor's flow file, read as it is: `name`, `schedule`, `eventTrigger`, `tasks` as a list of
 * `{name, command}` and `dag` as a list of `A: B` and `A?: B | C` edges. It becomes orch's flow
 * shape with the tasks keyed by name; orch's own flow and task fields are accepted beside
 * Conducktor's.
 *
 * @module
 */
import type { FieldPath } from "../source.ts";

/** A translated flow: orch's shape, the way back to the file's paths, and repeated names. */
export interface FlowTranslation {
  readonly data: Record<string, unknown>;
  readonly translate: (path: FieldPath) => FieldPath;
  readonly problems: readonly { path: FieldPath; message: string }[];
}

/**
 * Translates the raw (not yet validated) data, so that the task fields are validated by orch's
 * schema with paths mapped back into the list.
 */
export function translateConducktor(raw: Record<string, unknown>): FlowTranslation {
  const list = Array.isArray(raw.tasks) ? raw.tasks : [];
  const index = new Map<string, number>();
  const tasks: Record<string, unknown> = {};
  const problems: { path: FieldPath; message: string }[] = [];
  list.forEach((entry, i) => {
    if (!entry || typeof entry !== "object" || Array.isArray(entry)) {
      problems.push({ path: ["tasks", i], message: "expected a table with name and command" });
      return;
    }
    const { name, ...rest } = entry as Record<string, unknown>;
    if (typeof name !== "string" || name === "") {
      problems.push({ path: ["tasks", i, "name"], message: "is required (a string)" });
      return;
    }
    if (index.has(name)) {
      problems.push({
        path: ["tasks", i, "name"],
        message: `task "${name}" is defined more than once`,
      });
      return;
    }
    index.set(name, i);
    tasks[name] = rest;
  });
  const translate = (path: FieldPath): FieldPath => {
    if (path[0] !== "tasks" || typeof path[1] !== "string") return path;
    const i = index.get(path[1]);
    return i === undefined ? ["tasks"] : ["tasks", i, ...path.slice(2)];
  };
  return { data: { ...raw, tasks }, translate, problems };
}
