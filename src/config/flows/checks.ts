/**
 * Checks across flows and against the stack: chained and required flows exist, `needs` and
 * `onService` name services of the stack, `slots` name pools that are big enough, and no flow has
 * the name of a service (their logs and events share one namespace).
 *
 * @module
 */
import { didYouMean, type Flow } from "../../domain/mod.ts";
import type { FieldPath } from "../source.ts";

/** A problem of one flow, at a path relative to it. */
export interface CrossIssue {
  readonly flow: string;
  readonly path: FieldPath;
  readonly message: string;
  readonly hint?: string;
}

/** Checks every flow against the others, the stack's services and the pools. */
export function checkAcross(
  flows: ReadonlyMap<string, Flow>,
  services: readonly string[],
  pools: Readonly<Record<string, number>>,
): CrossIssue[] {
  const out: CrossIssue[] = [];
  const flowNames = [...flows.keys()];
  const poolNames = Object.keys(pools);
  const serviceHint = (name: string) =>
    didYouMean(name, services) ??
      (services.length ? `services: ${services.join(", ")}` : "the stack has no services");
  for (const [name, flow] of flows) {
    const report = (path: FieldPath, message: string, hint?: string) =>
      out.push({ flow: name, path, message, ...(hint ? { hint } : {}) });
    if (services.includes(name)) {
      report(
        [],
        `flow "${name}" has the name of a service (their logs and events would mix)`,
        "rename the flow",
      );
    }
    flow.after.forEach((chain, i) => {
      if (chain.flow === name) report(["after", i], "a flow cannot be chained on itself");
      else if (!flows.has(chain.flow)) {
        report(["after", i], `unknown flow "${chain.flow}"`, didYouMean(chain.flow, flowNames));
      }
    });
    flow.requires.forEach((req, i) => {
      if (!flows.has(req.flow) || req.flow === name) {
        report(
          ["requires", i],
          req.flow === name ? "a flow cannot require itself" : `unknown flow "${req.flow}"`,
          didYouMean(req.flow, flowNames),
        );
      }
    });
    flow.onService.forEach((trigger, i) => {
      if (!services.includes(trigger.service)) {
        report(
          ["onService", i],
          `unknown service "${trigger.service}"`,
          serviceHint(trigger.service),
        );
      }
    });
    for (const task of Object.values(flow.tasks)) {
      task.needs.forEach((service, i) => {
        if (!services.includes(service)) {
          report(
            ["tasks", task.name, "needs", i],
            `unknown service "${service}"`,
            serviceHint(service),
          );
        }
      });
      for (const [pool, slots] of Object.entries(task.slots)) {
        const at = ["tasks", task.name, "slots", pool];
        if (!Object.hasOwn(pools, pool)) {
          report(
            at,
            `unknown resource pool "${pool}"`,
            didYouMean(pool, poolNames) ??
              (poolNames.length ? `pools: ${poolNames.join(", ")}` : "declare it under pools:"),
          );
        } else if (slots > pools[pool]) {
          report(at, `asks for ${slots} slots of pool "${pool}", which has ${pools[pool]}`);
        }
      }
    }
  }
  return out;
}
