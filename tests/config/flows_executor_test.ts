/**
 * `executor: swarm` on flows and tasks: the model's field, and the located errors of a swarm task
 * without an image or with a directory of orch's machine.
 */
import { assert, assertEquals } from "../assert.ts";
import { loadProject } from "../../src/config/flows/load.ts";
import { ConfigError, type ConfigIssue } from "../../src/domain/errors.ts";
import { IMAGE } from "../../src/testing/docker.ts";

async function load(text: string) {
  const dir = await Deno.makeTempDir({ prefix: "orch-executor-" });
  await Deno.writeTextFile(`${dir}/stack.yaml`, text);
  try {
    return await loadProject(["stack.yaml"], { cwd: dir, env: () => undefined });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function issuesOf(text: string): Promise<ConfigIssue[]> {
  try {
    await load(text);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.issues];
    throw error;
  }
  throw new Error("expected a ConfigError");
}

Deno.test("executor: a task's own, else its flow's, else local; scheduler.swarm.host", async () => {
  const project = await load(`scheduler: { swarm: { host: "tcp://127.0.0.1:2375" } }
flows:
  f:
    executor: swarm
    tasks:
      a: { image: ${IMAGE}, command: "true" }
      b: { image: ${IMAGE}, command: "true", executor: local }
  g:
    tasks:
      c: { command: "true" }
`);
  const { flows, swarmHost } = project.flows;
  assertEquals(
    [flows.f.tasks.a.executor, flows.f.tasks.b.executor, flows.g.tasks.c.executor],
    ["swarm", "local", "local"],
  );
  assertEquals(swarmHost, "tcp://127.0.0.1:2375");
});

Deno.test("a swarm task without an image, or with a workdir of this machine, is a located error", async () => {
  const issues = await issuesOf(`flows:
  f:
    tasks:
      a: { command: "true", executor: swarm }
      b: { image: ${IMAGE}, command: "true", executor: swarm, workdir: /srv }
  g:
    executor: swarm
    tasks:
      d: { command: "true" }
`);
  const by = (path: string) => {
    const hit = issues.find((i) => i.path === path);
    assert(hit, `no issue at ${path}: ${JSON.stringify(issues, null, 1)}`);
    return hit;
  };
  const a = by("flows.f.tasks.a.executor");
  assertEquals([a.line, a.hint], [4, "give it an image"]);
  assert(a.message.includes("the task has no image"), a.message);
  assert(by("flows.f.tasks.b.workdir").message.includes("image's working directory"));
  const d = by("flows.g.tasks.d");
  assert(d.message.includes("(the flow's executor)"), d.message);
  assertEquals(d.hint, "give it an image, or executor: local");
  const [unknown] = await issuesOf(`flows:
  f: { tasks: { c: { command: "true", executor: cluster } } }
`);
  assertEquals(unknown.path, "flows.f.tasks.c.executor");
  assert(unknown.message.includes("is not one of: local, swarm"), unknown.message);
});
