/**
 * `orch apply`: send the changed stack to the running orch, print the plan, then follow the
 * rollout.
 *
 * @module
 */
import { ConfigError, type ConfigIssue, isEmpty, type Plan } from "../domain/mod.ts";
import { absolute, type ClientOptions, projectOf, withClient } from "./commands.ts";
import type { CliIO } from "./io.ts";
import { LinePrinter } from "./printer.ts";
import { type Style, styleOf } from "./style.ts";

/** The plan as people read it. */
export function describePlan(plan: Plan, style: Style): string {
  const lines: string[] = [];
  for (const s of plan.added) lines.push(style.green(`+ ${s}  (added)`));
  for (const s of plan.removed) lines.push(style.red(`- ${s}  (removed)`));
  for (const c of plan.changed) {
    lines.push(style.yellow(`~ ${c.service}  (${c.fields.join(", ")} changed; ${c.strategy})`));
  }
  for (const s of plan.scaled) {
    lines.push(style.yellow(`~ ${s.service}  (replicas ${s.from} -> ${s.to})`));
  }
  if (plan.unchanged.length > 0) lines.push(style.dim(`  unchanged: ${plan.unchanged.join(", ")}`));
  return lines.join("\n") + "\n";
}

/**
 * The stack files as documents for `POST /v1/apply`: each file's content, named by its path
 * relative to the project when it lies inside, else by its base name.
 */
export async function readDocuments(
  io: CliIO,
  options: ClientOptions,
): Promise<{ name: string; content: string }[]> {
  const project = projectOf(io, options);
  const issues: ConfigIssue[] = [];
  const documents: { name: string; content: string }[] = [];
  for (const file of options.file ?? []) {
    const path = absolute(io.cwd, file);
    try {
      const content = await Deno.readTextFile(path);
      const relative = path.startsWith(`${project}/`) ? path.slice(project.length + 1) : "";
      const name = /^[A-Za-z0-9_][A-Za-z0-9._\/-]*$/.test(relative) && !relative.includes("/.")
        ? relative
        : path.slice(path.lastIndexOf("/") + 1);
      documents.push({ name, content });
    } catch (error) {
      const reason = error instanceof Deno.errors.NotFound
        ? "file not found"
        : `cannot read: ${(error as Error).message}`;
      issues.push({ file: path, path: "", message: reason });
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return documents;
}

/**
 * `orch apply [-f FILE]`: the files' content goes in the request, so that it works from any
 * directory and against a remote orch; without `-f`, the running orch reads its own files again.
 */
export async function applyCommand(
  io: CliIO,
  options: ClientOptions & { dryRun?: boolean; json?: boolean },
): Promise<number> {
  const documents = await readDocuments(io, options);
  return await withClient(io, options, async (client) => {
    const style = styleOf(io, !options.json);
    const source = options.file?.length ? { documents } : {};
    const plan = await client.plan(source);
    if (options.json && options.dryRun) {
      io.out(JSON.stringify({ plan }, null, 2) + "\n");
      return 0;
    }
    if (!options.json) io.out(describePlan(plan, style));
    if (options.dryRun) return 0;
    if (isEmpty(plan)) {
      if (!options.json) io.out("nothing to do\n");
      else io.out(JSON.stringify({ plan, failed: {} }, null, 2) + "\n");
      return 0;
    }
    // Show the rollout as it goes: subscribed before the apply is asked for, so that its first
    // event is not missed.
    const printer = new LinePrinter([], style);
    const events = await client.events().catch(() => undefined);
    const ended = new Set<string>();
    let onEnd: (() => void) | undefined;
    const progress = (async () => {
      try {
        for await (const event of events ?? []) {
          if (event.type !== "rollout") continue;
          if (!options.json) io.out(printer.event(event, () => false));
          if (event.phase === "done" || event.phase === "rolledBack") {
            ended.add(event.service);
            onEnd?.();
          }
        }
      } catch {
        // the progress display is best effort
      }
    })();
    try {
      const result = await client.apply(source);
      // The rollouts' last events come on another connection than the answer, and may come
      // after it: wait a little for each changed service's, unless the stream has ended.
      const changed = result.plan.changed.map((c) => c.service);
      if (events && !options.json) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const all = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, 2000);
          onEnd = () => changed.every((s) => ended.has(s)) && resolve();
          onEnd();
        });
        await Promise.race([all, progress]).finally(() => clearTimeout(timer));
      }
      events?.close();
      await progress;
      if (options.json) io.out(JSON.stringify(result, null, 2) + "\n");
      const failed = Object.entries(result.failed);
      if (failed.length === 0) {
        if (!options.json) io.out(style.green("applied\n"));
        return 0;
      }
      if (!options.json) {
        for (const [service, why] of failed) {
          io.err(`orch: ${service}: rollout failed and was rolled back: ${why}\n`);
        }
      }
      return 1;
    } finally {
      events?.close();
    }
  });
}
