/**
 * Flows for tests: a project loaded from YAML text held in memory (no files), and waiting for
 * flow events under a deadline.
 *
 * @module
 */
import { loadProject, type Project } from "../config/flows/load.ts";
import type { Flow } from "../domain/flow.ts";

/** Loads a project from stack-file text, as if it were `/virtual/stack.yaml`. */
export function projectFrom(text: string, dir = "/virtual"): Promise<Project> {
  return loadProject([`${dir}/stack.yaml`], {
    env: () => undefined,
    readTextFile: (path) =>
      path === `${dir}/stack.yaml`
        ? Promise.resolve(text)
        : Promise.reject(new Deno.errors.NotFound(path)),
  });
}

/** The one flow of a stack-file text with `flows:` holding one flow. */
export async function flowFrom(text: string): Promise<Flow> {
  const project = await projectFrom(text);
  const flows = Object.values(project.flows.flows);
  if (flows.length !== 1) throw new Error(`expected one flow, got ${flows.length}`);
  return flows[0];
}
