/**
 * `orch deploy --swarm`, `orch status --swarm` and `orch down --swarm`: the stack's container
 * services on a Docker Swarm, through the Engine API of a manager (`--host`, or DOCKER_HOST).
 * Deploy goes in dependency order: each service is created (or updated in place) once what it
 * depends on runs and is healthy (or, for a oneshot, completed), which `docker stack deploy`
 * cannot do. Down removes dependents first, then the networks.
 *
 * @module
 */
import { loadStack, parseDotenv } from "../config/mod.ts";
import { OrchError, parseDuration, UsageError } from "../domain/mod.ts";
import { composeName, SWARM_LABEL, swarmPlan, type SwarmService } from "../export/mod.ts";
import {
  DockerClient,
  DockerError,
  endpointFrom,
  SwarmClient,
  type SwarmTask,
} from "../runtime/docker/mod.ts";
import { type InteropLoadOptions, loadOptionsOf, printWarnings } from "./interop_commands.ts";
import type { CliIO } from "./io.ts";

/** Options of the swarm commands. */
export interface SwarmOptions extends InteropLoadOptions {
  /** The Docker engine of a swarm manager: `unix:///path`, `tcp://host:port` or `host:port`. */
  readonly host?: string;
  readonly timeout?: string;
  readonly publishMode?: string;
}

function clientOf(io: CliIO, host: string | undefined): SwarmClient {
  const target = host
    ? (/^(unix|tcp|http):\/\//.test(host) ? host : `tcp://${host}`)
    : io.env("DOCKER_HOST");
  return new SwarmClient(new DockerClient(endpointFrom(target)));
}

async function withSwarm<T>(
  io: CliIO,
  host: string | undefined,
  fn: (s: SwarmClient) => Promise<T>,
): Promise<T> {
  const swarm = clientOf(io, host);
  try {
    await swarm.requireManager();
    return await fn(swarm);
  } catch (error) {
    if (error instanceof DockerError) throw new OrchError(`swarm: ${error.message}`);
    throw error;
  } finally {
    swarm.docker.close();
  }
}

/** The reference to deploy for a local image: its registry digest, or its id when it has none. */
async function pinImage(
  docker: DockerClient,
  image: string,
  note: (m: string) => void,
): Promise<string> {
  try {
    const info = await docker.json<{ Id: string; RepoDigests?: string[] }>(
      "GET",
      `/images/${encodeURIComponent(image)}/json`,
    );
    if (info.RepoDigests?.[0]) return info.RepoDigests[0];
    note(
      `${image} has no registry digest (built or imported here): deployed by its id, so only nodes that have it can run it`,
    );
    return info.Id;
  } catch (error) {
    if (error instanceof DockerError && error.status === 404) return image;
    throw error;
  }
}

/** `orch deploy --swarm`. */
export async function deployCommand(
  io: CliIO,
  files: readonly string[],
  options: SwarmOptions,
): Promise<number> {
  const timeoutMs = parseDuration(options.timeout ?? "5m");
  if (timeoutMs === undefined) {
    throw new UsageError(`--timeout: "${options.timeout}" is not a duration`);
  }
  if (options.publishMode && !["ingress", "host"].includes(options.publishMode)) {
    throw new UsageError(`--publish-mode: "${options.publishMode}" is not ingress or host`);
  }
  const loaded = await loadStack(files, { cwd: io.cwd, env: io.env, ...loadOptionsOf(options) });
  printWarnings(io, loaded.warnings);
  const { stack } = loaded;
  const envFiles = new Map<string, Record<string, string>>();
  for (const svc of Object.values(stack.services)) {
    for (const f of svc.envFiles) {
      try {
        envFiles.set(f, parseDotenv(await Deno.readTextFile(f)).vars);
      } catch (error) {
        throw new OrchError(`${svc.name}: cannot read env file ${f}: ${(error as Error).message}`);
      }
    }
  }
  return await withSwarm(io, options.host, async (swarm) => {
    const images = new Map<string, string>();
    for (const svc of Object.values(stack.services)) {
      if (svc.image && !images.has(svc.image)) {
        images.set(
          svc.image,
          await pinImage(swarm.docker, svc.image, (m) => io.err(`note: ${m}\n`)),
        );
      }
    }
    const { document: plan, notes } = swarmPlan(stack, {
      envFiles,
      images,
      publishMode: options.publishMode as "ingress" | "host" | undefined,
    });
    for (const n of notes) io.err(`note: ${n.service ? `${n.service}: ` : ""}${n.message}\n`);
    if (plan.services.length === 0) {
      throw new OrchError("nothing to deploy: the stack has no container services");
    }
    for (const net of plan.networks) {
      if (await swarm.ensureNetwork(net)) io.out(`network ${net.Name}: created\n`);
    }
    const started = Date.now();
    const since = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
    const byName = new Map(plan.services.map((s) => [s.service, s]));
    const done = new Map<string, Promise<void>>();
    const failures: string[] = [];
    const deploy = (s: SwarmService): Promise<void> => {
      let pending = done.get(s.service);
      if (pending) return pending;
      pending = (async () => {
        for (const d of s.dependsOn) {
          try {
            await deploy(byName.get(d.target)!);
          } catch {
            throw new Error(`not deployed: ${d.target} did not come up`);
          }
        }
        const { id, created } = await swarm.apply(s.spec);
        const want = s.job
          ? `${s.replicas} completion(s)`
          : `${s.replicas} task(s) running and healthy`;
        io.out(`${s.service}: ${created ? "created" : "updated"}, waiting for ${want}\n`);
        await swarm.converge(id, { replicas: s.replicas, job: s.job, timeoutMs });
        io.out(`${s.service}: ${s.job ? "completed" : "running"} after ${since()}\n`);
      })();
      pending.catch((error) => failures.push(`${s.service}: ${(error as Error).message}`));
      done.set(s.service, pending);
      return pending;
    };
    await Promise.allSettled(plan.services.map(deploy));
    if (failures.length > 0) {
      for (const f of failures) io.err(`orch: ${f}\n`);
      return 1;
    }
    io.out(
      `${stack.name} is deployed on the swarm as ${plan.namespace} (${plan.services.length} services, ${since()})\n`,
    );
    return 0;
  });
}

async function namespaceOf(
  io: CliIO,
  files: readonly string[],
  options: SwarmOptions,
): Promise<string> {
  const { stack } = await loadStack(files, { cwd: io.cwd, env: io.env, ...loadOptionsOf(options) });
  return composeName(stack.name);
}

/** `orch status --swarm`: SERVICE MODE TASKS STATE MESSAGE. */
export async function swarmStatusCommand(
  io: CliIO,
  files: readonly string[],
  options: SwarmOptions & { json?: boolean },
): Promise<number> {
  const namespace = await namespaceOf(io, files, options);
  return await withSwarm(io, options.host, async (swarm) => {
    const services = await swarm.services([`${SWARM_LABEL.namespace}=${namespace}`]);
    const rows = [];
    for (const s of services.sort((a, b) => a.Spec.Name.localeCompare(b.Spec.Name))) {
      const tasks: SwarmTask[] = await swarm.tasks(s.ID);
      const job = s.Spec.Mode?.ReplicatedJob !== undefined;
      const want = job
        ? s.Spec.Mode?.ReplicatedJob?.TotalCompletions ?? 1
        : s.Spec.Mode?.Replicated?.Replicas ?? 1;
      const count = tasks.filter((t) => (job
        ? t.Status.State === "complete"
        : t.Status.State === "running" && t.DesiredState === "running")
      ).length;
      const latest = [...tasks].sort((a, b) =>
        b.Status.Timestamp.localeCompare(a.Status.Timestamp)
      )[0];
      rows.push({
        service: s.Spec.Labels?.[SWARM_LABEL.service] ?? s.Spec.Name,
        name: s.Spec.Name,
        mode: job ? "job" : "replicated",
        tasks: `${count}/${want}`,
        state: s.UpdateStatus?.State ??
          (count >= want ? (job ? "completed" : "running") : latest?.Status.State ?? "pending"),
        message: latest?.Status.Err ?? s.UpdateStatus?.Message ?? "",
      });
    }
    if (options.json) {
      io.out(JSON.stringify({ namespace, services: rows }, null, 2) + "\n");
      return 0;
    }
    if (rows.length === 0) {
      io.out(`nothing of ${namespace} is deployed on this swarm\n`);
      return 0;
    }
    const header = ["SERVICE", "MODE", "TASKS", "STATE", "MESSAGE"];
    const table = [header, ...rows.map((r) => [r.service, r.mode, r.tasks, r.state, r.message])];
    const widths = header.map((_, i) => Math.max(...table.map((r) => r[i].length)));
    for (const r of table) {
      io.out(
        r.map((c, i) => i === r.length - 1 ? c : c.padEnd(widths[i])).join("  ").trimEnd() + "\n",
      );
    }
    return 0;
  });
}

/** `orch down --swarm`: dependents first, each level gone before the next, then the networks. */
export async function swarmDownCommand(
  io: CliIO,
  files: readonly string[],
  options: SwarmOptions,
): Promise<number> {
  const namespace = await namespaceOf(io, files, options);
  return await withSwarm(io, options.host, async (swarm) => {
    const label = `${SWARM_LABEL.namespace}=${namespace}`;
    const left = new Map(
      (await swarm.services([label])).map((
        s,
      ) => [s.Spec.Labels?.[SWARM_LABEL.service] ?? s.Spec.Name, s]),
    );
    if (left.size === 0) io.out(`nothing of ${namespace} is deployed on this swarm\n`);
    while (left.size > 0) {
      const needed = new Set(
        [...left.values()].flatMap((s) =>
          (s.Spec.Labels?.[SWARM_LABEL.dependsOn] ?? "").split(",").filter(Boolean)
        ),
      );
      let level = [...left.keys()].filter((name) => !needed.has(name));
      if (level.length === 0) level = [...left.keys()]; // a cycle made by hand: remove the rest together
      await Promise.all(level.map(async (name) => {
        await swarm.remove(left.get(name)!.ID);
        io.out(`${name}: removed\n`);
      }));
      for (const name of level) left.delete(name);
    }
    for (const n of await swarm.removeNetworks([label])) io.out(`network ${n}: removed\n`);
    io.out(`${namespace} is down on the swarm\n`);
    return 0;
  });
}
