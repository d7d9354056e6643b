/**
 * The flows' half of loading a project, loaded only for a project that has flows (a stack file's
 * `flows:`, `pools:` or `scheduler:` section, or a flow, Conducktor or Petit file): the sections
 * read, each flow file translated, every flow validated and normalized, and the checks across
 * flows. Its schemas and croner (schedules) stay out of the loads of stacks without flows.
 *
 * @module
 */
import type { ConfigIssue, Flow, Stack, TaskCondition } from "../../domain/mod.ts";
import { pushAll, toConfigIssues } from "../issues.ts";
import { FLOW_SECTIONS } from "../load.ts";
import { mergeDeep } from "../merge.ts";
import { resolvePath } from "../normalize.ts";
import type { FieldPath, Locator } from "../source.ts";
import { checkAcross } from "./checks.ts";
import { translateConducktor } from "./conducktor.ts";
import { normalizeFlow } from "./normalize.ts";
import { petitGlobalSchema, petitJobSchema, translatePetitJob } from "./petit.ts";
import { flowSchema, flowSectionSchema } from "./schema.ts";
import { dirname, interpolateFlow, locatedIssue, type SourceFile } from "./sources.ts";

/** One flow to normalize, and how to point at what it says. */
interface FlowInput {
  readonly name: string;
  readonly data: unknown;
  /** From a path relative to the flow to the path as written in its file. */
  readonly translate: (path: FieldPath) => FieldPath;
  /** The file that holds a written path. */
  readonly sourceFor: (path: FieldPath) => SourceFile;
  readonly defaultCondition: TaskCondition;
  readonly baseDir: string;
  readonly namePath: FieldPath;
}

const basename = (path: string) => path.replace(/\/+$/, "").split("/").pop() ?? path;

/** The project's flows and what goes with them, frozen. */
export interface Collected {
  readonly flows: Readonly<Record<string, Flow>>;
  readonly pools: Readonly<Record<string, number>>;
  readonly maxExecutors: number | undefined;
  readonly db: string | undefined;
}

/**
 * Collects the project's flows: those of the stack files' sections and of the flow, Conducktor
 * and Petit files among `sources`, each validated and normalized, then checked against each other
 * and the stack's services. Every problem is added to `issues`, located.
 */
export function collectFlows(
  sources: readonly SourceFile[],
  sections: Sections,
  stack: Stack | undefined,
  stackDir: string,
  issues: ConfigIssue[],
  env: (name: string) => string | undefined,
): Collected {
  const inputs: FlowInput[] = [];
  let pools: Record<string, number> = Object.assign(Object.create(null), sections.pools);
  let maxExecutors = sections.maxExecutors;
  let db = sections.db;
  for (const [name, data] of Object.entries(sections.flows)) {
    inputs.push({
      name,
      data,
      translate: (p) => ["flows", name, ...p],
      sourceFor: sections.sourceFor,
      defaultCondition: "none_failed",
      baseDir: stackDir,
      namePath: ["flows", name],
    });
  }
  if (db !== undefined) db = resolvePath(stackDir, db);

  for (const source of sources) {
    const data = source.data!;
    const one = () => source;
    const fileName = basename(source.file).replace(/\.ya?ml$/i, "");
    if (source.kind === "flow" || source.kind === "conducktor") {
      // orch's own flow files interpolate ${VAR} as stack files do; Conducktor's are read as is.
      const interpolated = source.kind === "flow"
        ? interpolateFlow(data, env, [])
        : { data, issues: [] };
      for (const i of interpolated.issues) issues.push(locatedIssue(source, i.path, i.message));
      const raw = interpolated.data as Record<string, unknown>;
      const translation = source.kind === "conducktor"
        ? translateConducktor(raw)
        : { data: raw, translate: (p: FieldPath) => p, problems: [] };
      for (const p of translation.problems) issues.push(locatedIssue(source, p.path, p.message));
      inputs.push({
        name: typeof raw.name === "string" ? raw.name : fileName,
        data: translation.data,
        translate: translation.translate,
        sourceFor: one,
        defaultCondition: "none_failed",
        baseDir: dirname(source.file),
        namePath: typeof raw.name === "string" ? ["name"] : [],
      });
    } else if (source.kind === "petit-job") {
      const parsed = petitJobSchema.safeParse(data);
      if (!parsed.success) {
        pushAll(issues, toConfigIssues(parsed.error.issues, data, petitJobSchema, source));
        continue;
      }
      const translation = translatePetitJob(parsed.data);
      inputs.push({
        name: parsed.data.name,
        data: translation.data,
        translate: translation.translate,
        sourceFor: one,
        defaultCondition: "all_success",
        baseDir: dirname(source.file),
        namePath: ["name"],
      });
    } else if (source.kind === "petit-global") {
      const parsed = petitGlobalSchema.safeParse(data);
      if (!parsed.success) {
        pushAll(issues, toConfigIssues(parsed.error.issues, data, petitGlobalSchema, source));
        continue;
      }
      pools = Object.assign(pools, parsed.data.resources?.pools ?? {});
      maxExecutors ??= parsed.data.executor?.max_concurrency;
      if (parsed.data.storage?.path !== undefined) {
        db ??= resolvePath(dirname(source.file), parsed.data.storage.path);
      }
    }
  }

  const flows = new Map<string, { flow: Flow; input: FlowInput }>();
  for (const input of inputs) {
    const flow = normalizeInput(input, issues, flows.has(input.name));
    if (flow) flows.set(input.name, { flow, input });
  }
  const services = stack ? Object.keys(stack.services) : [];
  const byName = new Map([...flows].map(([n, f]) => [n, f.flow]));
  for (const issue of checkAcross(byName, services, pools)) {
    const input = flows.get(issue.flow)!.input;
    const path = input.translate(issue.path);
    issues.push(locatedIssue(input.sourceFor(path), path, issue.message, { hint: issue.hint }));
  }
  const flowRecord: Record<string, Flow> = Object.create(null);
  for (const [name, { flow }] of flows) flowRecord[name] = flow;
  return {
    flows: deepFreeze(flowRecord),
    pools: Object.freeze(pools),
    maxExecutors,
    db,
  };
}

/** Validates and normalizes one flow, adding its located issues; undefined when it has any. */
function normalizeInput(
  input: FlowInput,
  issues: ConfigIssue[],
  duplicate: boolean,
): Flow | undefined {
  const at = (path: FieldPath, message: string, extra: { hint?: string; offset?: number } = {}) => {
    const userPath = input.translate(path);
    issues.push(locatedIssue(input.sourceFor(userPath), userPath, message, extra));
  };
  if (duplicate) {
    at(input.namePath, `flow "${input.name}" is defined more than once`);
    return undefined;
  }
  if (input.data === null || typeof input.data !== "object" || Array.isArray(input.data)) {
    at([], "expected a table with the flow's tasks");
    return undefined;
  }
  const parsed = flowSchema.safeParse(input.data);
  if (!parsed.success) {
    const first = input.sourceFor(input.translate([]));
    const locate: Locator = (path, options) => input.sourceFor(path).locate(path, options);
    pushAll(
      issues,
      toConfigIssues(parsed.error.issues, input.data, flowSchema, {
        file: first.file,
        locate,
        translate: input.translate,
      }),
    );
    return undefined;
  }
  const result = normalizeFlow(parsed.data, {
    name: input.name,
    file: input.sourceFor(input.translate([])).file,
    baseDir: input.baseDir,
    defaultCondition: input.defaultCondition,
  });
  for (const issue of result.issues) {
    at(issue.path, issue.message, { hint: issue.hint, offset: issue.offset });
  }
  return result.flow;
}

/** What the stack files' `flows`, `pools` and `scheduler` sections say. */
export interface Sections {
  readonly flows: Record<string, unknown>;
  readonly pools: Record<string, number>;
  readonly maxExecutors: number | undefined;
  readonly db: string | undefined;
  readonly swarmHost: string | undefined;
  readonly sourceFor: (path: FieldPath) => SourceFile;
}

/** The `flows`, `pools` and `scheduler` sections of the stack files, merged in override order. */
export function readSections(
  stackSources: readonly SourceFile[],
  env: (name: string) => string | undefined,
  issues: ConfigIssue[],
): Sections {
  const parts: { source: SourceFile; section: Record<string, unknown> }[] = [];
  for (const source of stackSources) {
    if (!source.data) continue;
    const section: Record<string, unknown> = {};
    for (const key of FLOW_SECTIONS) if (key in source.data) section[key] = source.data[key];
    if (Object.keys(section).length === 0) continue;
    const interpolated = interpolateFlow(section, env, []);
    for (const i of interpolated.issues) issues.push(locatedIssue(source, i.path, i.message));
    parts.push({ source, section: interpolated.data as Record<string, unknown> });
  }
  const sourceFor = (path: FieldPath): SourceFile => {
    let best = parts[parts.length - 1]?.source ?? stackSources[0];
    let depth = -1;
    for (let i = parts.length - 1; i >= 0; i--) {
      let value: unknown = parts[i].section;
      let d = 0;
      for (const part of path) {
        if (value === null || typeof value !== "object" || !Object.hasOwn(value, part)) break;
        value = (value as Record<string | number, unknown>)[part];
        d++;
      }
      if (d > depth) [best, depth] = [parts[i].source, d];
    }
    return best;
  };
  const merged = parts.map((p) => p.section).reduce(mergeDeep, {});
  // Each section on its own, so that a bad pool does not hide the flows' own problems.
  const part = (key: "flows" | "pools" | "scheduler") => {
    if (!(key in merged)) return undefined;
    // deno-lint-ignore no-explicit-any
    const schema = (flowSectionSchema as any).pick({ [key]: true });
    const parsed = schema.safeParse({ [key]: merged[key] });
    if (parsed.success) return (parsed.data as Record<string, unknown>)[key];
    pushAll(
      issues,
      toConfigIssues(parsed.error.issues, merged, schema, {
        file: sourceFor([key]).file,
        locate: (path, options) => sourceFor(path).locate(path, options),
      }),
    );
    return undefined;
  };
  const flows = part("flows") as Record<string, unknown> | undefined;
  const pools = part("pools") as Record<string, number> | undefined;
  const scheduler = part("scheduler") as
    | { maxExecutors?: number; db?: string; swarm?: { host?: string } }
    | undefined;
  return {
    flows: flows ?? {},
    pools: pools ?? {},
    maxExecutors: scheduler?.maxExecutors,
    db: scheduler?.db,
    swarmHost: scheduler?.swarm?.host,
    sourceFor,
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}
