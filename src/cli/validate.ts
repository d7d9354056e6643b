/**
 * `orch validate`: the project loaded through the config cache (an unchanged config needs no
 * parser), then the machine checks (commands, users, files, limits), which are warnings unless
 * `--strict`.
 *
 * @module
 */
import { preflight } from "../config/cached/mod.ts";
import { limitFindings, parseContainment } from "../runtime/cgroups/mod.ts";
import { loadProjectFor, requestOf } from "./config_loader.ts";
import type { CliIO } from "./io.ts";
import { type InteropLoadOptions, loadOptionsOf, printWarnings } from "./load_options.ts";
import { loadNeeds, requireAll } from "./permissions.ts";
import { dirOf } from "./state.ts";
import { colorEnabled, makeStyle } from "./style.ts";

/** `orch validate`: exit 0 when valid; preflight findings are warnings unless `strict`. */
export async function validateCommand(
  io: CliIO,
  files: readonly string[],
  options: { strict?: boolean; quiet?: boolean } & InteropLoadOptions,
): Promise<number> {
  requireAll("validate", loadNeeds(io.cwd, files));
  // Flows are checked too (flow files, job files, a stack's flows: section). An unchanged
  // config comes from the cache; the machine checks below run each time.
  const request = requestOf(io.cwd, files, loadOptionsOf(options));
  const { stack, files: used, warnings, flows } = await loadProjectFor(request, { env: io.env });
  const style = makeStyle(io.isTerminal && colorEnabled(io.env, io.isTerminal));
  printWarnings(io, warnings, style.yellow("warning"));
  const findings = [
    ...await preflight(stack),
    ...await limitFindings(stack, dirOf(used[0]), parseContainment(io.env("ORCH_CONTAINMENT"))),
  ];
  for (const f of findings) {
    io.err(
      `${
        options.strict ? style.red("error") : style.yellow("warning")
      }: ${f.service}.${f.field}: ${f.message}\n`,
    );
  }
  if (options.strict && findings.length > 0) return 2;
  if (!options.quiet) {
    const count = Object.keys(stack.services).length;
    const flowCount = Object.keys(flows.flows).length;
    const withFlows = flowCount > 0 ? `, ${flowCount} flow${flowCount === 1 ? "" : "s"}` : "";
    io.out(
      `${style.green("valid")}: ${used.join(", ")} (stack ${stack.name}, ${count} service${
        count === 1 ? "" : "s"
      }${withFlows})\n`,
    );
  }
  return 0;
}
