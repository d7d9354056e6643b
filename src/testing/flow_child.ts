/**
 * A process that runs a scheduler, for tests that kill it: `deno run -A flow_child.ts DIR FLOW`
 * loads the flow files in `DIR/flows`, keeps its history in `DIR/.orch/history.db`, triggers
 * `FLOW`, and prints every flow event as a JSON line until it is killed.
 *
 * @module
 */
import { loadProject } from "../config/flows/mod.ts";
import { testFlows } from "./flows.ts";

const [dir, flow] = Deno.args;
const project = await loadProject([`${dir}/flows`], { env: (n) => Deno.env.get(n) });
const t = await testFlows(project.flows, {
  dir,
  onEvent: (event) => console.log(JSON.stringify(event)),
});
t.scheduler.start({ schedules: false });
t.scheduler.trigger(flow);
await new Promise(() => {});
