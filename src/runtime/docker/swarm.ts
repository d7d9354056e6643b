/**
 * Docker Swarm through the Engine API: the swarm's state, overlay networks, services created or
 * updated in place, their tasks watched until they run (healthy, when the spec has a health
 * check: Swarm reports a task running only once its check passes) or, for jobs, complete;
 * removal in order; service logs; and one-off jobs (one replica, never restarted) run to completion with
 * their exit code and output, which is what a flow's task on a cluster needs.
 *
 * @module
 */
import { demultiplex, type DockerClient, DockerError } from "./client.ts";

/** A swarm service as the engine lists it (the fields orch reads). */
export interface SwarmServiceInfo {
  readonly ID: string;
  readonly Version: { readonly Index: number };
  readonly CreatedAt: string;
  readonly Spec: {
    readonly Name: string;
    readonly Labels?: Record<string, string>;
    readonly Mode?: {
      readonly Replicated?: { readonly Replicas?: number };
      readonly ReplicatedJob?: { readonly TotalCompletions?: number };
    };
    readonly TaskTemplate?: { readonly ContainerSpec?: { readonly Image?: string } };
  };
  readonly UpdateStatus?: { readonly State?: string; readonly Message?: string };
  /** Jobs: which run of the job is the current one (an update runs it again). */
  readonly JobStatus?: { readonly JobIteration?: { readonly Index?: number } };
}

/** A task (one container's run) of a service. */
export interface SwarmTask {
  readonly ID: string;
  readonly ServiceID: string;
  readonly Slot?: number;
  readonly DesiredState: string;
  readonly CreatedAt: string;
  readonly Spec?: { readonly ContainerSpec?: unknown };
  readonly JobIteration?: { readonly Index?: number };
  readonly Status: {
    readonly State: string;
    readonly Timestamp: string;
    readonly Message?: string;
    readonly Err?: string;
    readonly ContainerStatus?: { readonly ContainerID?: string; readonly ExitCode?: number };
  };
}

/** What waiting for a service found. */
export interface Converged {
  /** When its tasks reached the state waited for. */
  readonly at: number;
  readonly tasks: readonly SwarmTask[];
}

/** A one-off job's outcome. */
export interface JobResult {
  readonly state: "complete" | "failed";
  readonly exitCode: number | undefined;
  readonly error: string | undefined;
  /** Its output, as `[stream, line]` pairs. */
  readonly output: readonly (readonly ["stdout" | "stderr", string])[];
}

/** What a one-off job runs. */
export interface JobSpec {
  readonly name: string;
  readonly image: string;
  readonly command?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly labels?: Readonly<Record<string, string>>;
  readonly networks?: readonly string[];
  /** More fields of its ContainerSpec (`Dir`, `User`, `StopSignal`, `Configs`...). */
  readonly container?: Readonly<Record<string, unknown>>;
}

const FAILED = new Set(["failed", "rejected", "orphaned"]);
const POLL_MS = 250;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    // Aborted while a request was on its way: no abort event comes any more.
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}

/** The client. */
export class SwarmClient {
  readonly docker: DockerClient;

  constructor(docker: DockerClient) {
    this.docker = docker;
  }

  /** The node's swarm state: `inactive`, `active`..., and whether it is a manager. */
  async state(): Promise<{ state: string; manager: boolean; nodeId: string | undefined }> {
    const info = await this.docker.json<{
      Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean; NodeID?: string };
    }>("GET", "/info");
    return {
      state: info.Swarm?.LocalNodeState ?? "inactive",
      manager: info.Swarm?.ControlAvailable ?? false,
      nodeId: info.Swarm?.NodeID || undefined,
    };
  }

  /** Throws unless this engine is a swarm manager. */
  async requireManager(): Promise<void> {
    const s = await this.state();
    if (s.state !== "active" || !s.manager) {
      throw new DockerError(
        s.state === "active"
          ? "this engine is a swarm worker: deploy through a manager (--host)"
          : `this engine is not in a swarm (state ${s.state}): run docker swarm init, or pass --host of a manager`,
        "config",
      );
    }
  }

  /** Makes this engine a one-node swarm (`advertise` is its address for other nodes). */
  async init(advertise = "127.0.0.1"): Promise<void> {
    await this.docker.call("POST", "/swarm/init", {
      body: { ListenAddr: `${advertise}:2377`, AdvertiseAddr: advertise },
    });
  }

  /** Leaves the swarm (a manager of a one-node swarm needs `force`). */
  async leave(force = false): Promise<void> {
    await this.docker.call("POST", "/swarm/leave", { query: { force } });
  }

  /** Creates an overlay network unless one of that name exists; returns whether it made it. */
  async ensureNetwork(body: Record<string, unknown>): Promise<boolean> {
    const name = String(body.Name);
    try {
      await this.docker.call("GET", `/networks/${encodeURIComponent(name)}`);
      return false;
    } catch (error) {
      if (!(error instanceof DockerError && error.status === 404)) throw error;
    }
    if (body.external) throw new DockerError(`external network ${name} does not exist`, "notFound");
    await this.docker.call("POST", "/networks/create", { body: { ...body, CheckDuplicate: true } });
    return true;
  }

  /** Removes the networks with these labels and waits until they are gone; returns their names. */
  async removeNetworks(labels: readonly string[]): Promise<string[]> {
    const list = () =>
      this.docker.json<{ Id: string; Name: string }[]>("GET", "/networks", {
        query: { filters: JSON.stringify({ label: labels }) },
      });
    const removed = new Set<string>();
    const deadline = Date.now() + 20_000;
    // A network is released a moment after its last task's container is gone, and disappears
    // from the node's list a moment after it is deleted.
    for (let left = await list(); left.length > 0; left = await list()) {
      for (const n of left) {
        try {
          await this.docker.call("DELETE", `/networks/${n.Id}`);
          removed.add(n.Name);
        } catch (error) {
          if (!(error instanceof DockerError && error.status === 404)) {
            if (Date.now() > deadline) throw error;
          }
        }
      }
      if (Date.now() > deadline) {
        throw new DockerError(
          `network(s) ${left.map((n) => n.Name).join(", ")} still there`,
          "api",
        );
      }
      await sleep(POLL_MS);
    }
    return [...removed];
  }

  /** The service of that name or id, if there is one. */
  async service(name: string): Promise<SwarmServiceInfo | undefined> {
    try {
      return await this.docker.json<SwarmServiceInfo>(
        "GET",
        `/services/${encodeURIComponent(name)}`,
      );
    } catch (error) {
      if (error instanceof DockerError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** The services with all of these labels (`key=value`). */
  services(labels: readonly string[]): Promise<SwarmServiceInfo[]> {
    return this.docker.json<SwarmServiceInfo[]>("GET", "/services", {
      query: { filters: JSON.stringify({ label: labels }) },
    });
  }

  /** Creates the service, or updates it in place (rolling, by its UpdateConfig); returns its id. */
  async apply(spec: Record<string, unknown>): Promise<{ id: string; created: boolean }> {
    const existing = await this.service(String(spec.Name));
    if (!existing) {
      const { ID } = await this.docker.json<{ ID: string }>("POST", "/services/create", {
        body: spec,
      });
      return { id: ID, created: true };
    }
    await this.docker.call("POST", `/services/${existing.ID}/update`, {
      query: { version: existing.Version.Index },
      body: spec,
    });
    return { id: existing.ID, created: false };
  }

  /** The service's tasks. */
  tasks(serviceId: string): Promise<SwarmTask[]> {
    return this.docker.json<SwarmTask[]>("GET", "/tasks", {
      query: { filters: JSON.stringify({ service: [serviceId] }) },
    });
  }

  /**
   * Waits until `replicas` tasks run (or, for a job, complete), within `timeoutMs`. Fails when
   * tasks keep failing or an update rolls back, with the engine's reason.
   */
  async converge(
    serviceId: string,
    options: { replicas: number; job: boolean; timeoutMs: number; signal?: AbortSignal },
  ): Promise<Converged> {
    const deadline = Date.now() + options.timeoutMs;
    let last = "no task yet";
    for (;;) {
      const [all, info] = await Promise.all([this.tasks(serviceId), this.service(serviceId)]);
      // Only tasks of the current definition (or, for a job, of its current run) count.
      const spec = JSON.stringify(info?.Spec.TaskTemplate?.ContainerSpec ?? null);
      const iteration = info?.JobStatus?.JobIteration?.Index;
      const tasks = all.filter((t) =>
        options.job
          ? iteration === undefined || t.JobIteration?.Index === iteration
          : JSON.stringify(t.Spec?.ContainerSpec ?? null) === spec
      );
      const update = info?.UpdateStatus?.State;
      if (update === "rollback_completed" || update === "paused" || update === "rollback_paused") {
        throw new DockerError(
          `update ${update.replace("_", " ")}: ${info?.UpdateStatus?.Message ?? ""}`.trim(),
          "api",
        );
      }
      const want = options.job ? "complete" : "running";
      const done = tasks.filter((t) =>
        t.Status.State === want && (options.job || t.DesiredState === "running")
      );
      const failed = tasks.filter((t) => FAILED.has(t.Status.State));
      const settling = update === "updating" || update === "rollback_started";
      if (done.length >= options.replicas && !settling) {
        const at = Math.max(0, ...done.map((t) => Date.parse(t.Status.Timestamp)));
        return { at, tasks: done };
      }
      const latest = [...tasks].sort((a, b) =>
        b.Status.Timestamp.localeCompare(a.Status.Timestamp)
      )[0];
      if (latest) {
        last = `${latest.Status.State}${
          latest.Status.Err
            ? `: ${latest.Status.Err}`
            : latest.Status.Message
            ? ` (${latest.Status.Message})`
            : ""
        }`;
      }
      if (options.job && failed.length > 0 && done.length < options.replicas) {
        const active = tasks.filter((t) =>
          !FAILED.has(t.Status.State) && !["complete", "shutdown"].includes(t.Status.State)
        );
        if (active.length === 0) {
          const why = failed[0].Status.Err ?? failed[0].Status.Message ?? "failed";
          const code = failed[0].Status.ContainerStatus?.ExitCode;
          throw new DockerError(
            `the job failed: ${why}${code !== undefined ? ` (exit code ${code})` : ""}`,
            "api",
          );
        }
      }
      if (!options.job && failed.length >= 3 && done.length < options.replicas) {
        throw new DockerError(
          `tasks keep failing: ${failed[0].Status.Err ?? failed[0].Status.Message ?? "failed"}`,
          "api",
        );
      }
      if (Date.now() > deadline) {
        throw new DockerError(
          `${done.length}/${options.replicas} ${want} after ${
            Math.round(options.timeoutMs / 1000)
          }s (last task: ${last})`,
          "api",
        );
      }
      await sleep(POLL_MS, options.signal);
    }
  }

  /** Removes a service and waits until its containers are gone. */
  async remove(serviceId: string, options: { timeoutMs?: number } = {}): Promise<void> {
    try {
      await this.docker.call("DELETE", `/services/${serviceId}`);
    } catch (error) {
      if (!(error instanceof DockerError && error.status === 404)) throw error;
    }
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    for (;;) {
      // Stopped task containers are the swarm's to reap; what matters is that none runs.
      const left = await this.docker.json<unknown[]>("GET", "/containers/json", {
        query: {
          filters: JSON.stringify({ label: [`com.docker.swarm.service.id=${serviceId}`] }),
        },
      });
      if (left.length === 0) return;
      if (Date.now() > deadline) {
        throw new DockerError(`${left.length} container(s) of the service are still there`, "api");
      }
      await sleep(POLL_MS);
    }
  }

  /** The service's output so far, as `[stream, line]` pairs. */
  async logs(serviceId: string): Promise<["stdout" | "stderr", string][]> {
    const response = await this.docker.request("GET", `/services/${serviceId}/logs`, {
      query: { stdout: true, stderr: true, follow: false },
    });
    const { stdout, stderr } = demultiplex(response.body!);
    const read = async (s: ReadableStream<Uint8Array>, name: "stdout" | "stderr") => {
      let text = "";
      for await (const chunk of s.pipeThrough(new TextDecoderStream())) text += chunk;
      return text.split("\n").filter((l, i, all) => l !== "" || i < all.length - 1).map((l) =>
        [name, l] as ["stdout" | "stderr", string]
      );
    };
    const [out, err] = await Promise.all([read(stdout, "stdout"), read(stderr, "stderr")]);
    return [...out, ...err];
  }

  /**
   * Runs a one-off task as a service of one replica with restart condition none, waits for it,
   * collects its exit code and output, and removes the service (which stops it if it still runs).
   */
  async runJob(
    spec: JobSpec,
    options: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<JobResult> {
    const { id } = await this.apply({
      Name: spec.name,
      Labels: { ...spec.labels },
      TaskTemplate: {
        ContainerSpec: {
          Image: spec.image,
          ...(spec.command ? { Args: [...spec.command] } : {}),
          Env: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
          Init: true,
          ...spec.container,
        },
        RestartPolicy: { Condition: "none" },
        ...(spec.networks?.length ? { Networks: spec.networks.map((Target) => ({ Target })) } : {}),
      },
      // One replica that is never restarted, not `replicated-job`: removing a job service leaves
      // its running task running (moby/moby#42789), so a job could not be stopped.
      Mode: { Replicated: { Replicas: 1 } },
    });
    try {
      let state: JobResult["state"] = "complete";
      let error: string | undefined;
      try {
        await this.converge(id, {
          replicas: 1,
          job: true,
          timeoutMs: options.timeoutMs,
          signal: options.signal,
        });
      } catch (e) {
        if (options.signal?.aborted) throw e;
        state = "failed";
        error = (e as Error).message;
      }
      const tasks = await this.tasks(id);
      const task = tasks.find((t) => t.Status.State === "complete") ?? tasks[0];
      return {
        state,
        exitCode: task?.Status.ContainerStatus?.ExitCode,
        error,
        output: await this.logs(id),
      };
    } finally {
      await this.remove(id).catch(() => {});
    }
  }
}
