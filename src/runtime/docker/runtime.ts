/**
 * The Docker runtime: each instance is a container made through the Engine API, attached before it
 * starts (so no output is lost), waited on for its exit code, stopped with the service's signal and
 * timeout then killed, and removed. Containers carry labels naming the project, stack, service,
 * replica and config hash; a new `orch up` removes whatever a crashed one left.
 *
 * @module
 */
import {
  argvOf,
  configHash,
  type NetworkSpec,
  nothingToRun,
  OrchError,
  type Service,
} from "../../domain/mod.ts";
import type { Endpoint, Handle, InstanceSpec, Runtime } from "../../engine/mod.ts";
import type { Guard } from "../guard.ts";
import { DockerClient, DockerError, endpointFrom } from "./client.ts";
import { NetworkManager } from "./networks.ts";
import { ContainerHandle } from "./handle.ts";

/** Labels orch puts on its containers. */
export const LABEL = {
  project: "orch.project",
  stack: "orch.stack",
  service: "orch.service",
  replica: "orch.replica",
  hash: "orch.config-hash",
} as const;

/** Options of the runtime. */
export interface DockerRuntimeOptions {
  /** The project directory: labels, and the base of relative bind mounts. */
  readonly project: string;
  /** DOCKER_HOST, if set. */
  readonly dockerHost?: string;
  /** The stack's networks, created as containers need them. */
  readonly networks?: Readonly<Record<string, NetworkSpec>>;
  /** Removes the containers if orch dies (shared with the process runtime). */
  readonly guard?: Guard;
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9_.-]+/g, "-").replace(/^[-.]+/, "").slice(0, 40) ||
    "orch";
}

function resolveBind(volume: string, base: string): string {
  const [source, ...rest] = volume.split(":");
  if (rest.length === 0) return volume; // an anonymous volume: "/data"
  const absolute = source.startsWith("/")
    ? source
    : source.startsWith(".") || source.startsWith("~")
    ? `${base.replace(/\/$/, "")}/${source.replace(/^\.\//, "")}`
    : source; // a named volume
  return [absolute, ...rest].join(":");
}

/** The body of `POST /containers/create` for an instance. */
export async function containerConfig(
  spec: InstanceSpec,
  project: string,
  /** Docker names of the service's networks, in its order. */
  networks: readonly string[] = [],
): Promise<Record<string, unknown>> {
  const svc: Service = spec.service;
  if (!svc.image) throw nothingToRun("image");
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  // Resolved for this replica by the engine; a port orch routes comes without a host port.
  for (const p of spec.ports) {
    const key = `${p.containerPort}/${p.protocol}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({
      HostIp: p.hostIp ?? "",
      HostPort: p.hostPort !== undefined ? String(p.hostPort) : "",
    });
  }
  const labels = {
    ...svc.labels,
    [LABEL.project]: project,
    [LABEL.stack]: spec.stack,
    [LABEL.service]: svc.name,
    [LABEL.replica]: String(spec.replica),
    [LABEL.hash]: await configHash(svc),
  };
  return {
    Image: svc.image,
    ...(svc.command ? { Cmd: argvOf(svc.command) } : {}),
    // Expanded for this instance already (domain/instance.ts); [] resets the image's.
    ...(svc.entrypoint
      ? { Entrypoint: svc.entrypoint.length === 0 ? [""] : [...svc.entrypoint] }
      : {}),
    Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
    ...(svc.workdir !== project ? { WorkingDir: svc.workdir } : {}),
    ...(svc.user ? { User: svc.group ? `${svc.user}:${svc.group}` : svc.user } : {}),
    Labels: labels,
    Tty: svc.tty,
    OpenStdin: true,
    StdinOnce: false,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    ExposedPorts: exposed,
    HostConfig: {
      Init: true,
      PortBindings: bindings,
      Binds: svc.volumes.map((v) => resolveBind(v, project)),
      ...(svc.network ? { NetworkMode: svc.network } : {}),
      ...(networks.length > 0 ? { NetworkMode: networks[0] } : {}),
      ...limitsOf(svc),
      AutoRemove: false,
    },
    ...(networks.length > 0
      ? {
        NetworkingConfig: {
          EndpointsConfig: { [networks[0]]: { Aliases: [...(svc.networks?.[0]?.aliases ?? [])] } },
        },
      }
      : {}),
  };
}

/** `resources` as HostConfig fields: memory without swap beyond it, CPUs, processes. */
function limitsOf(svc: Service): Record<string, number> {
  const r = svc.resources;
  if (!r) return {};
  return {
    ...(r.memoryBytes !== undefined ? { Memory: r.memoryBytes, MemorySwap: r.memoryBytes } : {}),
    ...(r.cpus !== undefined ? { NanoCpus: Math.round(r.cpus * 1e9) } : {}),
    ...(r.pids !== undefined ? { PidsLimit: r.pids } : {}),
  };
}

/** Starts instances as containers. */
export class DockerRuntime implements Runtime {
  readonly #client: DockerClient;
  readonly #project: string;
  readonly #live = new Set<string>();
  readonly #networks: NetworkManager;
  readonly #guard: Guard | undefined;

  constructor(options: DockerRuntimeOptions) {
    this.#project = options.project;
    const endpoint = endpointFrom(options.dockerHost);
    this.#client = new DockerClient(endpoint);
    this.#networks = new NetworkManager(this.#client, options.project, options.networks);
    this.#guard = options.guard;
    this.#guard?.setDocker(
      endpoint.kind === "unix"
        ? { unix: endpoint.path }
        : { tcp: `${endpoint.host}:${endpoint.port}` },
    );
  }

  /** The client, for tests and cleanup. */
  get client(): DockerClient {
    return this.#client;
  }

  async start(
    spec: InstanceSpec,
    options: { signal?: AbortSignal; onNote?: (line: string) => void } = {},
  ): Promise<Handle> {
    const svc = spec.service;
    const client = this.#client;
    const image = svc.image ?? "";
    try {
      if (!image) throw nothingToRun("image");
      if (!await client.hasImage(image)) {
        options.onNote?.(`pulling image ${image}`);
        try {
          await client.pull(image, (line) => options.onNote?.(`pull: ${line}`));
        } catch (error) {
          throw new OrchError(`cannot pull image ${image}: ${(error as Error).message}`);
        }
      }
      const name = `${slug(spec.stack)}_${slug(svc.name)}_${spec.replica}_${
        crypto.randomUUID().slice(0, 6)
      }`;
      const attachments = svc.networks ?? [];
      const names: string[] = [];
      for (const a of attachments) names.push(await this.#networks.ensure(a.network));
      const body = await containerConfig(spec, this.#project, names);
      const { Id: id } = await client.json<{ Id: string }>("POST", "/containers/create", {
        query: { name },
        body,
      });
      this.#live.add(id);
      const key = this.#guard?.add({ container: id });
      const release = () => {
        this.#live.delete(id);
        if (key !== undefined) this.#guard?.remove(key);
      };
      try {
        for (let i = 1; i < names.length; i++) {
          await client.call("POST", `/networks/${encodeURIComponent(names[i])}/connect`, {
            body: { Container: id, EndpointConfig: { Aliases: [...attachments[i].aliases] } },
          });
        }
        const attached = await client.attach(id);
        await client.call("POST", `/containers/${id}/start`);
        const info = await client.json<ContainerInfo>("GET", `/containers/${id}/json`);
        return new ContainerHandle(
          client,
          id,
          { pid: info.State.Pid || undefined, endpoints: endpointsOf(info) },
          attached,
          svc.tty,
          release,
        );
      } catch (error) {
        await client.call("DELETE", `/containers/${id}`, { query: { force: true, v: true } }).catch(
          () => {},
        );
        release();
        throw error;
      }
    } catch (error) {
      if (error instanceof DockerError) throw new OrchError(`docker: ${error.message}`);
      throw error;
    }
  }

  /**
   * Removes the containers of this project that no live instance owns: what a crashed orch left.
   * Returns their names.
   */
  async removeLeftovers(): Promise<string[]> {
    const filters = JSON.stringify({ label: [`${LABEL.project}=${this.#project}`] });
    const list = await this.#client.json<{ Id: string; Names: string[] }[]>(
      "GET",
      "/containers/json",
      {
        query: { all: true, filters },
      },
    );
    const removed: string[] = [];
    for (const c of list) {
      if (this.#live.has(c.Id)) continue;
      await this.#client.call("DELETE", `/containers/${c.Id}`, { query: { force: true, v: true } })
        .catch(() => {});
      removed.push(c.Names[0]?.replace(/^\//, "") ?? c.Id.slice(0, 12));
    }
    if (this.#live.size === 0) {
      for (const name of await this.#networks.removeLeftovers().catch(() => [])) {
        removed.push(`network ${name}`);
      }
    }
    return removed;
  }

  /** Removes the networks this runtime created, then lets go of the engine. */
  async close(): Promise<void> {
    await this.#networks.removeCreated().catch(() => []);
    this.#client.close();
  }
}

/** What orch reads of `GET /containers/{id}/json`. */
interface ContainerInfo {
  readonly State: { readonly Pid: number };
  readonly NetworkSettings?: {
    readonly Ports?: Record<string, { HostIp: string; HostPort: string }[] | null> | null;
  };
}

/** The host ports a started container's ports were published on (ephemeral ones included). */
export function endpointsOf(info: ContainerInfo): Endpoint[] {
  const endpoints: Endpoint[] = [];
  for (const [key, bindings] of Object.entries(info.NetworkSettings?.Ports ?? {})) {
    const [port, protocol] = key.split("/");
    for (const b of bindings ?? []) {
      const hostPort = Number(b.HostPort);
      if (!Number.isInteger(hostPort) || hostPort <= 0) continue;
      endpoints.push({
        containerPort: Number(port),
        protocol: protocol === "udp" ? "udp" : "tcp",
        hostIp: b.HostIp,
        hostPort,
      });
    }
  }
  return endpoints;
}
